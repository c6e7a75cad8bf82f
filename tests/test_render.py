"""Safe rendering of questions, answers and sources; feedback records; export; follow-up cues."""
import json

from bot.feedback import append_feedback, feedback_record
from bot.questions import is_follow_up
from bot.render import answer_markdown, conversation_markdown, escape_markdown, sources_html
from bot.types import Answer, Chunk, Citation, Passage, Timings

CHUNK = Chunk("abc", "rapport.txt", "Télémédecine", "Télémédecine ¶2",
              "Les plateformes se développent. Ali Health et JD Health dominent cet espace <b>rural</b>.")


def answer(text="Ali Health et JD Health dominent [1].", abstained=False):
    citations = () if abstained else (Citation(1, CHUNK),)
    return Answer("Qui domine ?", "fr", text, abstained, citations, (Passage(CHUNK, 1, 0.9, 0.8),), Timings(), "m")


def test_html_and_markdown_in_text_are_shown_as_text():
    shown = escape_markdown("<script>alert(1)</script> [lien](javascript:x) **gras**")
    assert "<script>" not in shown and "&lt;script&gt;" in shown
    assert "\\[lien\\]\\(javascript:x\\)" in shown and "\\*\\*gras\\*\\*" in shown


def test_markers_link_to_their_source():
    assert answer_markdown(answer()) == "Ali Health et JD Health dominent [[1]](#source-1)."


def test_sources_panel_escapes_and_highlights_the_supporting_sentence():
    html = sources_html(answer(), "fr")
    assert 'id="source-1"' in html and "Télémédecine ¶2" in html
    assert "&lt;b&gt;rural&lt;/b&gt;" in html and "<b>rural</b>" not in html
    assert "<mark>Ali Health et JD Health dominent cet espace &lt;b&gt;rural&lt;/b&gt;.</mark>" in html


def test_abstention_has_no_sources():
    assert "Aucune source" in sources_html(answer("Le rapport ne traite pas de cette question.", True), "fr")
    assert "No sources" in sources_html(None, "en")


def test_translation_is_shown_under_the_passage():
    html = sources_html(answer(), "en", translations={1: "Ali Health and <i>JD</i> lead."})
    assert "Ali Health and &lt;i&gt;JD&lt;/i&gt; lead." in html


def test_export_has_questions_answers_and_quoted_sources():
    md = conversation_markdown([answer()])
    assert md.startswith("# ") and "## 1. Qui domine ?" in md and "[1] Télémédecine ¶2 (rapport.txt)" in md
    assert "> Les plateformes se développent." in md


def test_feedback_lines_are_appended_never_rewritten(tmp_path):
    path = tmp_path / "fb" / "feedback.jsonl"
    append_feedback(path, feedback_record(answer(), True, "  utile "))
    append_feedback(path, feedback_record(answer(), False))
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["rating"] for r in lines] == ["up", "down"] and lines[0]["comment"] == "utile"
    assert lines[0]["citations"][0]["chunk_id"] == "abc" and lines[0]["question"] == "Qui domine ?"


def test_follow_up_cues():
    assert is_follow_up("Et en 2030 ?") and is_follow_up("What do they offer?") and is_follow_up("Why?")
    assert is_follow_up("Et que proposent-elles concrètement ?")
    assert not is_follow_up("Quelle est la taille du marché de l'IA en santé en Chine en 2030 ?")
    assert not is_follow_up("Which company localised its AI imaging with secure data centres?")
