"""Gradio Blocks chat UI: streamed cited answers, sources panel, feedback, export. Calls the pipeline only;
served before the models are loaded, which load in the background."""
from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import gradio as gr
from starlette.middleware import Middleware
from starlette.routing import Mount

from bot.api import PATH as API_PATH, build_api
from bot.body_limit import BodyLimit
from bot.config import Settings
from bot.contents import Contents
from bot.errors import BotError, InputError, TimeLimitError
from bot.feedback import append_feedback, feedback_record
from bot.guide import Guide, Offer
from bot.loading import LoadFailed, Loading, Startup, StillLoading
from bot.pdf import conversation_pdf
from bot.prompts import UI
from bot.render import (Supports, answer_markdown, citation_map, conversation_markdown, escape_markdown,
                         sources_html, supports)
from bot.report_view import SCRIPT as REPORT_SCRIPT, STYLE as REPORT_STYLE, report_html
from bot.runner import Runner, TimedOut
from bot.sanitize import clean_question, clean_text
from bot import saved
from bot.types import Answer, Chunk, Citation, Done, Status, Token, Turn
from bot.waiting import WaitingRoom

if TYPE_CHECKING:  # the page is served before the pipeline's modules (BM25, word lists) are needed
    from bot.pipeline import Pipeline

CSS = """
.sources { max-height: 70vh; overflow-y: auto; }
.source { border-left: 3px solid #c9a227; padding: 4px 10px; margin: 8px 0; }
.source .head { margin: 0 0 4px 0; }
.source mark { background: #fff1a8; }
.source:target { background: #fffbe6; }
.source.nearest { border-left-color: #9aa5b1; }
.translation { color: #444; }
#status { min-height: 1.6em; }
#models-status { border-left: 3px solid #9aa5b1; padding: 2px 10px; }
#overview { font-size: 0.92em; }
.suggestion { white-space: normal !important; text-align: left !important; justify-content: flex-start !important;
              height: auto !important; }
.source[data-chunk] { cursor: pointer; }
"""
SUGGESTIONS = 3  # buttons under the chat: three starting questions, then two or three follow-ups
STORAGE_KEY = "ia-sante-bot-conversation"
POLL_S = 1.0  # how often a page asks whether the models are loaded, while they load


def completed(answers: list[Answer | None]) -> list[Answer]:
    """The answers of the conversation, without the questions that were stopped or failed."""
    return [a for a in answers if a is not None]


def recent_history(answers: list[Answer | None], turns: int, chars: int) -> list[Turn]:
    """The last `turns` turns of the conversation's answered questions, each cut to `chars` characters:
    what the model is given back for a follow-up, bounded whatever the length of the conversation."""
    if not turns:
        return []
    history = [Turn(role, text[:chars]) for a in completed(answers)[-turns:]
               for role, text in (("user", a.question), ("assistant", a.text))]
    return history[-turns:]


def last(items: list, n: int) -> list:
    """The last n items (none for n = 0)."""
    return items[max(0, len(items) - n):] if n else []


def _label(key: str, lang: str) -> str:
    return UI[key][lang]


def offer_updates(offer: Offer) -> list:
    """The overview, the suggestions' title and one button per suggestion (the spare ones hidden)."""
    questions = list(offer.questions[:SUGGESTIONS])
    buttons = [gr.update(value=q, visible=True) for q in questions]
    buttons += [gr.update(visible=False)] * (SUGGESTIONS - len(questions))
    return [gr.update(value=offer.overview, visible=bool(offer.overview)), offer.title, *buttons]


def conversation_chat(answers: list[Answer]) -> list[dict]:
    """The chat messages of answered questions, as `respond` shows them once each is done."""
    return [message for a in answers for message in ({"role": "user", "content": escape_markdown(a.question)},
                                                    {"role": "assistant", "content": answer_markdown(a)})]


def restored(stored: object, ui_lang: str, chunks: dict[str, Chunk], kept: int, guide: Guide) -> tuple:
    """The page as the browser kept it: chat, answers, sources panel, interface language, then what to ask
    next. Supporting sentences are marked by word overlap alone: loading a page runs no model."""
    language, answers = saved.load(stored, chunks, kept)
    language = language or ui_lang
    sources = sources_html(answers[-1], answers[-1].language) if answers else sources_html(None, language)
    sources += citation_map(answers)
    return (conversation_chat(answers), answers, sources, language, *offer_updates(guide.offer(answers, language)))


def models_status(startup: Startup, ui_lang: str) -> str:
    """The page's line about the models: that they are loading, why they could not be, or nothing."""
    if startup.loading:
        return _label("loading_models", ui_lang)
    return f"**{escape_markdown(startup.error)}**" if startup.failed else ""


def contents_of(settings: Settings, pipeline: Pipeline | None) -> Contents:
    """What the page shows, from a loaded pipeline (its index, possibly just rebuilt); nothing without one."""
    if pipeline is None:
        return Contents.read(settings, (), None)
    return Contents.read(settings, pipeline.retriever.index.chunks, getattr(pipeline, "renderings", None))


def build_app(settings: Settings, load: Callable[[], Pipeline], contents: Contents | None = None) -> gr.Blocks:
    """The page and the HTTP API. With `contents` (what the page shows, read without the models), the page
    is served at once and the models load in the background once it is (`launch`; `demo.startup` holds
    them): questions asked meanwhile wait for them. Without it, the models are loaded first and the page
    shows their index."""
    startup = Startup(lambda: Runner(load(), settings.max_answer_seconds, settings.concurrency),
                      settings.max_answer_seconds)
    if contents is None:
        startup.start().wait()
        contents = contents_of(settings, startup.runner.pipeline if startup.runner else None)
    chunks, documents, english, guide, by_id = (contents.chunks, contents.documents, contents.english,
                                                contents.guide, contents.by_id)
    kept = settings.max_exchanges  # a conversation keeps its last exchanges: 2 chat messages and 1 answer each
    exports: list[Path] = []  # the folder of this app's exports, made at the first one

    def respond(question: str, chat: list, answers: list, ui_lang: str, request: gr.Request):
        question = clean_question(question or "")  # whatever the page sent: lone surrogates, controls, bidi
        chat = list(chat or [])
        if startup.failed:
            yield chat, sources_html(None, ui_lang), f"**{escape_markdown(startup.error)}**", answers, question
            return
        chat_before, answers_before = chat, answers  # shown again if the question cannot be asked
        history = recent_history(answers, settings.history_turns, settings.history_chars)
        chat, answers = last(chat, 2 * (kept - 1)), last(list(answers or []), kept - 1)
        chat += [{"role": "user", "content": escape_markdown(question)},
                 {"role": "assistant", "content": "…"}]
        start, stage, partial = time.perf_counter(), "searching", ""
        for event in startup.events(question, history, request.session_hash or ""):
            seconds = f"{time.perf_counter() - start:.1f} s"
            if isinstance(event, LoadFailed):  # while the question waited: as when it is asked after
                yield (chat_before, sources_html(None, ui_lang), f"**{escape_markdown(event.message)}**",
                       answers_before, question)
                return
            if isinstance(event, StillLoading):  # the question is given back, to be sent again
                yield chat_before, gr.update(), _label("still_loading", ui_lang), answers_before, question
                return
            if isinstance(event, Loading):
                yield chat, gr.update(), f"{_label('loading', ui_lang)} ({seconds})", answers, ""
                continue
            if isinstance(event, Status):
                stage = "searching" if event.stage == "retrieving" else "writing"
                partial = ""  # a second attempt starts over
            elif isinstance(event, Token):
                partial += event.text
                chat[-1] = {"role": "assistant", "content": escape_markdown(partial)}
            elif isinstance(event, Done):
                answer: Answer = event.answer
                chat[-1] = {"role": "assistant", "content": answer_markdown(answer)}
                status = _label("done", ui_lang).format(seconds=seconds)
                yield chat, panel(answers + [answer]), status, answers + [answer], ""
                return
            elif isinstance(event, TimedOut | TimeLimitError):
                message = _label("time_limit", ui_lang).format(seconds=f"{event.seconds:g}")
                chat[-1] = {"role": "assistant", "content": f"{escape_markdown(partial)} *({message})*".strip()}
                yield chat, gr.update(), message, answers + [None], ""
                return
            elif isinstance(event, Exception):
                message = str(event) if isinstance(event, BotError) else _label("internal_error", ui_lang)
                chat[-1] = {"role": "assistant", "content": f"**{escape_markdown(message)}**"}
                keep = "" if not isinstance(event, InputError) else question
                yield chat, gr.update(), "", answers + [None], keep
                return
            yield chat, gr.update(), f"{_label(stage, ui_lang)} ({seconds})", answers, ""
        stopped = _label("stopped", ui_lang)
        chat[-1] = {"role": "assistant", "content": f"{escape_markdown(partial)} *({stopped})*".strip()}
        yield chat, gr.update(), stopped, answers + [None], ""

    def stop(request: gr.Request):
        startup.stop(request.session_hash or "")

    def like(answers: list, comment: str, ui_lang: str, data: gr.LikeData):
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        number = index // 2  # messages alternate question, answer
        if number >= len(answers) or answers[number] is None:
            return _label("nothing_to_rate", ui_lang), comment
        append_feedback(settings.feedback_path,
                        feedback_record(answers[number], bool(data.liked), clean_text(comment or "")))
        return _label("thanks", ui_lang), ""

    @lru_cache(maxsize=1024)  # each answer is shown again with every later one: its sentences are chosen once
    def chosen(text: str, citations: tuple[Citation, ...]) -> Supports:
        return supports(text, citations, startup.runner.pipeline.sentence_scores)  # an answer: the models are loaded

    def support(answer: Answer) -> Supports:
        return chosen(answer.text, answer.citations)

    def panel(answers: list, translations: dict[int, str] | None = None) -> str:
        """The last answer's sources, and what each [n] of the chat opens in the report view."""
        answers = completed(answers)
        answer = answers[-1]
        return sources_html(answer, answer.language, support(answer), translations) + citation_map(answers, support)

    def write_export(request: gr.Request, name: str, data: bytes) -> str:
        # One file of each kind per session, rewritten on each export (the name hides the session id), so
        # exporting again and again takes no more disk; Gradio's copies are deleted after an hour.
        if not exports:
            exports.append(Path(tempfile.mkdtemp(prefix="conversations-")))
        folder = exports[0] / hashlib.sha256((request.session_hash or "").encode()).hexdigest()[:32]
        folder.mkdir(parents=True, exist_ok=True)  # also when a cleaner emptied the temporary folder
        path = folder / name
        path.write_bytes(data)
        return str(path)

    def export(answers: list, request: gr.Request):
        answers = completed(answers)
        return write_export(request, "conversation.md", conversation_markdown(answers).encode()) if answers else None

    def export_pdf(answers: list, ui_lang: str, request: gr.Request):
        answers = completed(answers)
        return write_export(request, "conversation.pdf", conversation_pdf(answers, ui_lang)) if answers else None

    def translate(answers: list, ui_lang: str, request: gr.Request):
        answers = completed(answers)
        if not answers:
            return gr.update(), gr.update()
        answer = answers[-1]
        target = answer.language if answer.language != "fr" else ui_lang
        if target == "fr":
            return gr.update(), gr.update()
        translations, status = {}, ""
        for item in startup.translations(answer.citations, target, request.session_hash or ""):
            if isinstance(item, tuple):
                translations[item[0]] = item[1]
            elif isinstance(item, StillLoading):  # a conversation restored while the models load
                status = _label("still_loading", ui_lang)
            elif isinstance(item, LoadFailed):
                status = f"**{escape_markdown(item.message)}**"
            elif isinstance(item, TimedOut | TimeLimitError):
                status = _label("time_limit", ui_lang).format(seconds=f"{item.seconds:g}")
            elif isinstance(item, Exception):
                status = str(item) if isinstance(item, BotError) else _label("internal_error", ui_lang)
        return panel(answers, translations) if startup.runner else gr.update(), status

    def relabel(ui_lang: str, answers: list):
        return (gr.update(label=_label("question", ui_lang), placeholder=_label("placeholder", ui_lang)),
                gr.update(value=_label("send", ui_lang)), gr.update(value=_label("stop", ui_lang)),
                gr.update(value=_label("export", ui_lang)), gr.update(value=_label("export_pdf", ui_lang)),
                gr.update(value=_label("translate", ui_lang)),
                gr.update(label=_label("comment", ui_lang)), f"## {_label('title', ui_lang)}",
                _label("intro", ui_lang), gr.update(value=_label("new_conversation", ui_lang)), report(ui_lang),
                *offer_updates(guide.offer(completed(answers), ui_lang)))

    def models_state(ui_lang: str):
        """The line about the models, and whether the page asks again in a moment (while they load)."""
        text = models_status(startup, ui_lang)
        return gr.update(value=text, visible=bool(text)), gr.Timer(active=startup.loading)

    def report(ui_lang: str) -> str:
        return report_html(documents, chunks, ui_lang, english) if documents else ""

    def offer(answers: list, ui_lang: str):
        return offer_updates(guide.offer(completed(answers), ui_lang))

    def keep(answers: list, ui_lang: str):
        """What the browser keeps, so that the conversation survives a reload."""
        return saved.dump(completed(answers)[-kept:], ui_lang)

    def restore(stored, ui_lang: str):
        return restored(stored, ui_lang, by_id, kept, guide)

    def new_conversation(ui_lang: str, request: gr.Request):
        stop(request)  # a question still running is ended; its page event is cancelled with it
        return ([], [], sources_html(None, ui_lang), "", None, None, *offer_updates(guide.offer([], ui_lang)),
                saved.dump([], ui_lang))

    first = guide.offer([], "fr")
    # No telemetry: the product makes no network call at run time.
    with gr.Blocks(title="IA en santé en Chine", delete_cache=(3600, 3600), analytics_enabled=False) as demo:
        answers = gr.State([])
        # Gradio encrypts the kept value with a secret it sends to the page: obfuscation, not secrecy. A fixed
        # one lets a conversation outlive a restart of the server; what comes back is checked (bot/saved.py).
        stored = gr.BrowserState(saved.dump([], "fr"), storage_key=STORAGE_KEY, secret=STORAGE_KEY)
        with gr.Row():
            title = gr.Markdown(f"## {_label('title', 'fr')}")
            ui_lang = gr.Radio([("Français", "fr"), ("English", "en")], value="fr", show_label=False,
                               container=False, elem_id="ui-lang")
        intro = gr.Markdown(_label("intro", "fr"))
        # Filled once the page is open (and then every POLL_S while the models load): a page opened later
        # is built as this one was, and must not show "loading" for a moment.
        shown = "" if startup.loading else models_status(startup, "fr")
        models = gr.Markdown(shown, visible=bool(shown), elem_id="models-status")
        poll = gr.Timer(POLL_S, active=False)
        with gr.Row():
            with gr.Column(scale=3):
                overview = gr.Markdown(first.overview, visible=bool(first.overview), elem_id="overview")
                chat = gr.Chatbot(height=480, elem_id="chat", buttons=["copy"], sanitize_html=True,
                                  feedback_options=("Like", "Dislike"))
                status = gr.Markdown("", elem_id="status")
                with gr.Column(elem_id="suggestions"):
                    suggested = gr.Markdown(first.title, elem_id="suggested")
                    suggestions = [gr.Button(q, visible=bool(q), size="sm", elem_id=f"suggestion-{i}",
                                             elem_classes="suggestion")
                                   for i, q in enumerate((first.questions + ("",) * SUGGESTIONS)[:SUGGESTIONS])]
                box = gr.Textbox(label=_label("question", "fr"), placeholder=_label("placeholder", "fr"),
                                 lines=2, max_lines=6, elem_id="question")
                with gr.Row():
                    send = gr.Button(_label("send", "fr"), variant="primary", elem_id="send")
                    halt = gr.Button(_label("stop", "fr"), variant="stop", elem_id="stop")
                comment = gr.Textbox(label=_label("comment", "fr"), lines=1, elem_id="comment")
                with gr.Row():
                    new_btn = gr.Button(_label("new_conversation", "fr"), elem_id="new-conversation")
                    export_btn = gr.Button(_label("export", "fr"), elem_id="export")
                    export_file = gr.File(label="Markdown", interactive=False, height=80, elem_id="export-file")
                with gr.Row():
                    export_pdf_btn = gr.Button(_label("export_pdf", "fr"), elem_id="export-pdf")
                    export_pdf_file = gr.File(label="PDF", interactive=False, height=80, elem_id="export-pdf-file")
            with gr.Column(scale=2):
                sources = gr.HTML(sources_html(None, "fr"), elem_id="sources")
                translate_btn = gr.Button(_label("translate", "fr"), elem_id="translate")
                report_view = gr.HTML(report("fr"), elem_id="report")

        outputs = [chat, sources, status, answers, box]
        inputs = [box, chat, answers, ui_lang]
        offered = [overview, suggested, *suggestions]
        # Everything that runs the model shares its slots (one in-process) and the one queue, whose size is bounded.
        asked = [send.click(respond, inputs, outputs, concurrency_id="model", api_name="ask"),
                 box.submit(respond, inputs, outputs, concurrency_id="model", api_visibility="undocumented")]
        # A suggestion is asked as it reads: the button's text is the question.
        asked += [button.click(respond, [button, chat, answers, ui_lang], outputs, concurrency_id="model",
                               api_visibility="undocumented") for button in suggestions]
        for event in asked:  # once answered (or stopped): what to ask next, and the conversation kept
            event.then(offer, [answers, ui_lang], offered, queue=False, api_visibility="private") \
                 .then(keep, [answers, ui_lang], [stored], queue=False, api_visibility="private")
        demo.load(restore, [stored, ui_lang], [chat, answers, sources, ui_lang, *offered], queue=False,
                  api_visibility="private")
        for listen in (demo.load, poll.tick, ui_lang.change):
            listen(models_state, [ui_lang], [models, poll], queue=False, show_progress="hidden",
                   api_visibility="private")
        new_btn.click(new_conversation, [ui_lang],
                      [chat, answers, sources, status, export_file, export_pdf_file, *offered, stored],
                      queue=False, cancels=asked, api_visibility="private")
        halt.click(stop, None, None, queue=False, api_name="stop")
        chat.like(like, [answers, comment, ui_lang], [status, comment], queue=False)
        export_btn.click(export, [answers], [export_file], queue=False)
        export_pdf_btn.click(export_pdf, [answers, ui_lang], [export_pdf_file], queue=False)
        translate_btn.click(translate, [answers, ui_lang], [sources, status], concurrency_id="model")
        ui_lang.change(relabel, [ui_lang, answers],
                       [box, send, halt, export_btn, export_pdf_btn, translate_btn, comment, title, intro, new_btn,
                        report_view, *offered],
                       queue=False, api_visibility="private") \
               .then(keep, [answers, ui_lang], [stored], queue=False, api_visibility="private")
    demo.queue(default_concurrency_limit=settings.concurrency, max_size=settings.max_queue)
    # The HTTP API asks through the same runner, and its questions wait with the page's: Gradio's queue
    # (a private attribute: tests/test_api.py fails if a Gradio upgrade moves it).
    demo.http_api = build_api(settings, startup, WaitingRoom(settings.max_queue, demo._queue))
    demo.startup = startup
    return demo


def launch(demo: gr.Blocks, settings: Settings, block: bool = True) -> None:
    """Serve the page, and the HTTP API that `build_app` made under /api, in one server; then load the models
    (loading them alongside slowed the server's start by a second on two cores)."""
    limit = Middleware(BodyLimit, max_bytes=settings.max_request_bytes, json_under=API_PATH + "/")
    demo.launch(server_name=settings.host, server_port=settings.port, css=CSS + REPORT_STYLE,
                js=REPORT_SCRIPT, show_error=False,
                prevent_thread_lock=True, quiet=True, footer_links=[],
                max_file_size=settings.max_request_bytes, state_session_capacity=settings.max_sessions,
                app_kwargs={"middleware": [limit], "routes": [Mount(API_PATH, app=demo.http_api)]})
    demo.startup.start()
    if block:
        demo.block_thread()
