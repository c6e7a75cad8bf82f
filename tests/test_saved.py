"""A conversation kept in the browser and read back: the same answers, passages from the index, nothing forged."""
import json
from dataclasses import replace

from bot import saved
from bot.render import answer_markdown, conversation_markdown, sources_html
from bot.types import Answer, Citation, Passage, Timings, Withdrawn

from test_overview import report_chunks


def index() -> dict:
    return {c.id: c for c in report_chunks()}


def conversation() -> list[Answer]:
    chunks = report_chunks()
    market = next(c for c in chunks if "18,88" in c.text)
    imaging = next(c for c in chunks if "92 dispositifs" in c.text)
    first = Answer("Quelle est la taille du marché en 2030 ?", "fr", "18,88 milliards de dollars US [1].", False,
                   (Citation(1, market),), (Passage(market, 1, 0.031, 0.71), Passage(imaging, 2, 0.02, 0.4)),
                   Timings(1, 2, 3), "qwen", withdrawn=(Withdrawn("En 2031 [2].", "other_year", "2031"),))
    second = Answer("What about Brazil?", "en", "The report does not cover this question.", True, (),
                    (Passage(imaging, 1, 0.01, 0.2),), Timings(), "qwen", reason="weak_retrieval")
    return [first, second]


def through_the_browser(data: dict) -> object:
    return json.loads(json.dumps(data))  # what localStorage gives back: JSON, nothing else


def test_a_conversation_comes_back_as_it_was_and_exports_the_same():
    answers = conversation()
    language, back = saved.load(through_the_browser(saved.dump(answers, "en")), index(), 50)
    assert language == "en"
    assert back == [replace(a, timings=Timings()) for a in answers]  # timings are the moment's, not kept
    assert conversation_markdown(back) == conversation_markdown(answers)
    assert [answer_markdown(a) for a in back] == [answer_markdown(a) for a in answers]
    assert sources_html(back[0], "fr") == sources_html(answers[0], "fr")


def test_only_ids_of_passages_are_kept_and_read_again_from_the_index():
    data = saved.dump(conversation(), "fr")
    kept = json.dumps(data, ensure_ascii=False)
    assert "Introduction" not in kept and "92 dispositifs" not in kept  # the passages' words stay in the index
    market = next(c for c in report_chunks() if "18,88" in c.text)
    forged = {**index(), market.id: replace(market, text="Le marché vaut 1 000 milliards.")}
    _, back = saved.load(through_the_browser(data), forged, 50)
    assert back[0].citations[0].chunk.text == "Le marché vaut 1 000 milliards."  # whatever the index says now
    rebuilt = {i: c for i, c in index().items() if i != market.id}  # a rebuild dropped that passage
    _, back = saved.load(through_the_browser(data), rebuilt, 50)
    assert back[0].citations == ()
    assert [p.chunk.id for p in back[0].passages] == [conversation()[0].passages[1].chunk.id]


def test_what_the_reader_changed_in_storage_is_left_out_or_cleaned():
    data = through_the_browser(saved.dump(conversation(), "fr"))
    data["answers"][0]["question"] = "Qui\u202e domine\u200b ?\n<b>x</b>"
    data["answers"][1]["abstained"] = "yes"
    data["answers"].append({"question": 1})
    data["answers"].append("not an answer")
    language, back = saved.load(data, index(), 50)
    assert len(back) == 1 and back[0].question == "Qui domine ? <b>x</b>"  # controls gone; shown escaped by render
    assert saved.load({"version": 0, "answers": []}, index(), 50) == (None, [])
    assert saved.load("garbage", index(), 50) == (None, [])
    assert saved.load(None, index(), 50) == (None, [])
    assert saved.load({"version": 1, "language": "de", "answers": []}, index(), 50) == (None, [])


def test_only_the_last_exchanges_are_kept():
    answers = conversation() * 3
    _, back = saved.load(through_the_browser(saved.dump(answers, "fr")), index(), 2)
    assert [a.question for a in back] == [a.question for a in answers[-2:]]
    assert saved.load(saved.dump(answers, "fr"), index(), 0) == ("fr", [])
