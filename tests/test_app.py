"""The page's handlers that need no browser: the first screen, suggestions as buttons, a conversation restored,
the page served while the models load."""
import gradio as gr
import pytest

from bot import saved
from bot.app import SUGGESTIONS, build_app, conversation_chat, offer_updates, restored
from bot.config import load_settings
from bot.contents import Contents
from bot.errors import ModelError
from bot.guide import Guide, Offer
from bot.index import build_index
from bot.pipeline import Pipeline
from bot.prompts import UI
from bot.render import escape_markdown
from bot.retrieve import Retriever

from conftest import REPORT
from fakes import AnswerKey, HashEmbedder
from test_loading import GatedLoad
from test_overview import report_chunks
from test_saved import conversation


def by_id(demo: gr.Blocks, elem_id: str):
    return next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == elem_id)


def test_suggestions_fill_the_buttons_and_hide_the_spare_ones():
    overview, title, *buttons = offer_updates(Offer("", UI["follow_ups"]["en"], ("Q1?", "Q2?")))
    assert len(buttons) == SUGGESTIONS == 3
    assert overview["visible"] is False and title == UI["follow_ups"]["en"]
    assert [(b.get("value"), b["visible"]) for b in buttons] == [("Q1?", True), ("Q2?", True), (None, False)]
    overview, _, *buttons = offer_updates(Offer("**Sections**", "t", ("A?", "B?", "C?", "D?")))
    assert overview == {"__type__": "update", "value": "**Sections**", "visible": True}
    assert [b["value"] for b in buttons] == ["A?", "B?", "C?"]


def test_a_restored_conversation_is_shown_as_when_it_was_answered():
    answers = conversation()
    chat = conversation_chat(answers)
    assert [m["role"] for m in chat] == ["user", "assistant"] * 2
    assert chat[1]["content"] == "18,88 milliards de dollars US [[1]](#source-1)."
    assert UI["why"]["en"].split("{")[0] in chat[3]["content"]  # a refusal says why, as it did


def test_the_first_screen_shows_the_overview_and_three_suggestions(settings):
    embedder = HashEmbedder()
    pipeline = Pipeline(settings, embedder, Retriever(build_index(settings, embedder), embedder), AnswerKey({}))
    demo = build_app(settings, lambda: pipeline)
    overview = by_id(demo, "overview")
    assert overview.visible and overview.value.startswith(UI["overview"]["fr"].format(n=16))
    buttons = [by_id(demo, f"suggestion-{i}") for i in range(SUGGESTIONS)]
    assert all(b.visible and b.value.endswith("?") for b in buttons)
    assert by_id(demo, "suggested").value == UI["suggested"]["fr"]


def test_without_models_the_page_has_no_overview_nor_suggestions():
    def load():
        raise ModelError("No model: run `make setup`.")

    demo = build_app(load_settings({}), load)
    assert not by_id(demo, "overview").visible
    assert not any(by_id(demo, f"suggestion-{i}").visible for i in range(SUGGESTIONS))


def test_a_reloaded_page_shows_the_kept_conversation_its_sources_and_what_to_ask_next():
    guide = Guide.of(report_chunks())
    index = {c.id: c for c in report_chunks()}
    answers = conversation()
    chat, back, sources, language, overview, title, *buttons = restored(saved.dump(answers, "en"), "fr", index, 50,
                                                                        guide)
    assert chat == conversation_chat(answers) and len(back) == 2 and language == "en"
    assert "No sources" in sources and UI["nearest"]["en"] in sources  # the last answer: a refusal, its passages
    assert overview["visible"] is False and len(buttons) == SUGGESTIONS
    chat, back, sources, language, overview, *_ = restored(None, "en", index, 50, guide)  # nothing kept
    assert chat == [] and back == [] and language == "en" and overview["visible"] is True
    assert overview["value"].startswith(UI["overview"]["en"].format(n=16))


# The page first, the models behind it: built from what the index on disk holds, with a load the test releases.

QUESTION = "Quelle est la valeur du marché de l'IA en santé en Chine en 2030 ?"
REPLY = "Le marché devrait atteindre 18,88 milliards de dollars US d'ici 2030 [1]."
MISSING = "The generator model is missing: run `make setup`."


class PageRequest:
    session_hash = "page"


def handler(demo: gr.Blocks, name: str):
    return next(f.fn for f in demo.fns.values() if f.name == name)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """Settings over a copy of the report, and its index built by the stand-in embedder, for this module."""
    root = tmp_path_factory.mktemp("app")
    (root / "corpus").mkdir()
    (root / "corpus" / REPORT.name).write_bytes(REPORT.read_bytes())
    settings = load_settings({}).with_(corpus_dir=root / "corpus", index_dir=root / "index",
                                       feedback_path=root / "feedback.jsonl")
    return settings, build_index(settings, HashEmbedder())


def page_first(indexed, load: GatedLoad, **bounds) -> gr.Blocks:
    """The app as `serve` builds it: its contents read beforehand, the models loading (`launch` starts them)."""
    settings, index = indexed[0].with_(**bounds), indexed[1]
    embedder = HashEmbedder()
    load.loaded = Pipeline(settings, embedder, Retriever(index, embedder), AnswerKey({QUESTION: REPLY}))
    demo = build_app(settings, load, Contents.read(settings, index.chunks, None))
    demo.startup.start()
    return demo


def models_line(demo: gr.Blocks, ui_lang: str) -> tuple[str, bool, bool]:
    """The page's line about the models: its text, whether it is shown, whether the page asks again."""
    line, poll = handler(demo, "models_state")(ui_lang)
    return line["value"], line["visible"], poll.active


def test_the_page_is_served_while_the_models_load_and_a_question_waits_for_them(indexed):
    load = GatedLoad()
    demo = page_first(indexed, load)
    assert by_id(demo, "overview").visible and by_id(demo, "suggestion-0").visible  # from the index on disk
    assert by_id(demo, "report").value  # the report view too
    assert models_line(demo, "fr") == (UI["loading_models"]["fr"], True, True)
    assert models_line(demo, "en") == (UI["loading_models"]["en"], True, True)

    asked = handler(demo, "respond")(QUESTION, [], [], "fr", PageRequest())
    chat, _, status, answers, box = next(asked)
    assert status.startswith(UI["loading"]["fr"] + " (") and box == "" and answers == []
    assert chat == [{"role": "user", "content": escape_markdown(QUESTION)}, {"role": "assistant", "content": "…"}]
    load.gate.set()
    *_, (chat, _, status, answers, box) = asked
    assert status.startswith("Réponse en") and "18,88" in chat[-1]["content"] and answers[-1].question == QUESTION
    assert models_line(demo, "fr") == ("", False, False)  # the line is cleared, the page stops asking


def test_a_failed_load_is_shown_as_a_startup_error_and_the_question_given_back(indexed):
    load = GatedLoad(error=ModelError(MISSING))
    demo = page_first(indexed, load)
    respond = handler(demo, "respond")
    waiting = respond(QUESTION, [], [], "fr", PageRequest())
    next(waiting)
    load.gate.set()  # fails while the question waits
    *_, (chat, _, status, answers, box) = waiting
    assert (chat, status, answers, box) == ([], f"**{escape_markdown(MISSING)}**", [], QUESTION)
    *_, (chat, _, status, answers, box) = respond(QUESTION, [], [], "en", PageRequest())  # asked after
    assert (chat, status, answers, box) == ([], f"**{escape_markdown(MISSING)}**", [], QUESTION)
    assert models_line(demo, "en") == (f"**{escape_markdown(MISSING)}**", True, False)


def test_a_question_that_waited_its_time_limit_is_given_back(indexed):
    load = GatedLoad()
    demo = page_first(indexed, load, max_answer_seconds=0.3)
    chat = conversation_chat(conversation())
    *_, (shown, _, status, answers, box) = handler(demo, "respond")(QUESTION, chat, [], "en", PageRequest())
    assert (shown, status, answers, box) == (chat, UI["still_loading"]["en"], [], QUESTION)
    load.gate.set()


def test_a_question_stopped_while_the_models_load_is_marked_stopped(indexed):
    load = GatedLoad()
    demo = page_first(indexed, load)
    asked = handler(demo, "respond")(QUESTION, [], [], "fr", PageRequest())
    next(asked)
    handler(demo, "stop")(PageRequest())
    *_, (chat, _, status, answers, box) = asked
    assert status == UI["stopped"]["fr"] and answers == [None] and chat[-2]["content"] == escape_markdown(QUESTION)
    load.gate.set()
