"""Real models: questions never seen by the gold set, in both languages, and the JSONL command."""
import json
import subprocess
import sys

import pytest

from bot.config import ROOT
from bot.lang import detect_language
from bot.normalize import canonical
from bot.prompts import NOT_COVERED
from bot.types import Turn

pytestmark = pytest.mark.integration

# Known misses of the 1.5B generator, written before it was measured and kept visible: the gold-set
# evaluation (eval/report.md) tracks the accuracy gap they belong to.
KNOWN_MISS = pytest.mark.xfail(reason="known miss of the 1.5B generator, see eval/report.md", strict=False)

ANSWERABLE = [
    ("fr", "À combien le marché chinois de l'IA médicale est-il projeté pour 2028 ?", ["16,02"]),
    pytest.param("fr", "Quelles entreprises chinoises d'imagerie IA s'associent aux hôpitaux et aux groupes "
                 "pharmaceutiques ?", ["Infervision", "Shukun"], marks=KNOWN_MISS),
    ("fr", "Dans quelles villes les institutions médicales entièrement étrangères sont-elles désormais autorisées ?",
     ["Shenzhen"]),
    ("en", "How many AI-powered class III medical devices had the NMPA approved by mid-2024?", ["92"]),
    ("en", "Which three platforms dominate AI telemedicine in rural China?", ["Ali Health", "JD Health"]),
    ("en", "What privacy law requires patient health data to be stored in China?", ["PIPL"]),
    pytest.param("en", "Which company set up secure in-country data processing centres to localise its AI "
                 "imaging?", ["Philips"], marks=KNOWN_MISS),
    pytest.param("en", "In how many hospitals is Tencent's cancer screening AI active?", ["100"], marks=KNOWN_MISS),
]
UNANSWERABLE = [
    ("fr", "Quel est le chiffre d'affaires annuel de JD Health ?"),
    ("en", "What is the AI healthcare market size in Brazil?"),
]


@pytest.mark.parametrize("lang,question,facts", ANSWERABLE)
def test_answers_with_the_fact_a_valid_citation_and_the_language(real_pipeline, lang, question, facts):
    answer = real_pipeline.answer(question)
    assert not answer.abstained, answer.text
    for fact in facts:
        assert canonical(fact) in canonical(answer.text), answer.text
    assert answer.language == lang and detect_language(answer.text) == lang, answer.text
    assert answer.citations and answer.dropped_markers == 0
    assert all(f"[{c.n}]" in answer.text for c in answer.citations)
    assert any(all(canonical(f) in canonical(c.chunk.text) for f in facts) for c in answer.citations)
    assert not answer.unsupported_figures


@pytest.mark.parametrize("lang,question", UNANSWERABLE)
def test_declines_what_the_report_does_not_say(real_pipeline, lang, question):
    answer = real_pipeline.answer(question)
    assert answer.abstained and answer.text == NOT_COVERED[lang] and not answer.citations


def test_same_question_same_answer_whatever_was_asked_before(real_pipeline):
    question = "Quels sont les avantages de la zone Hainan Boao Lecheng pour une entreprise étrangère ?"
    first, second = real_pipeline.answer(question), real_pipeline.answer(question)
    real_pipeline.answer("Which companies lead rural telemedicine in China?")
    third = real_pipeline.answer(question)
    assert first.text == second.text == third.text and first.citations == second.citations == third.citations


def test_ask_jsonl_in_a_real_process():
    lines = [
        "Quelle valorisation le marché avait-il en 2023 ?",
        "",
        json.dumps({"question": "And by 2030?", "history": [
            {"role": "user", "content": "What was the market worth in 2023?"},
            {"role": "assistant", "content": "1.59 billion US dollars."}]}),
    ]
    done = subprocess.run([sys.executable, "-m", "bot", "ask", "--jsonl"], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(records) == 3
    assert records[0]["language"] == "fr" and "1,59" in records[0]["answer"]
    assert records[0]["citations"] and "1,59" in records[0]["citations"][0]["text"]
    assert "error" in records[1]
    follow_up = records[2]
    assert follow_up["language"] == "en" and follow_up["model"].startswith("Qwen2.5")
    # the follow-up was searched with the question it follows: the 2030 figure reached the model
    assert any("18,88" in p["text"] for p in follow_up["passages"])


@KNOWN_MISS
def test_follow_up_about_another_year(real_pipeline):
    history = [Turn("user", "What was the market worth in 2023?"), Turn("assistant", "1.59 billion US dollars.")]
    answer = real_pipeline.answer("And by 2030?", history)
    assert not answer.abstained and canonical("18,88") in canonical(answer.text), answer.text
