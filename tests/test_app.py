"""The page's handlers that need no browser: the first screen, suggestions as buttons, a conversation restored."""
import gradio as gr

from bot import saved
from bot.app import SUGGESTIONS, build_app, conversation_chat, offer_updates, restored
from bot.config import load_settings
from bot.errors import ModelError
from bot.guide import Guide, Offer
from bot.index import build_index
from bot.pipeline import Pipeline
from bot.prompts import UI
from bot.retrieve import Retriever

from fakes import AnswerKey, HashEmbedder
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
