"""Gradio Blocks chat UI: streamed cited answers, sources panel, feedback, export. Calls the pipeline only."""
from __future__ import annotations

import queue
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import gradio as gr

from bot.config import Settings
from bot.errors import BotError, InputError
from bot.feedback import append_feedback, feedback_record
from bot.pipeline import Pipeline
from bot.prompts import EXAMPLES, UI
from bot.render import answer_markdown, conversation_markdown, escape_markdown, sources_html
from bot.sanitize import clean_question, clean_text
from bot.types import Answer, Done, Status, Token, Turn

CSS = """
.sources { max-height: 70vh; overflow-y: auto; }
.source { border-left: 3px solid #c9a227; padding: 4px 10px; margin: 8px 0; }
.source .head { margin: 0 0 4px 0; }
.source mark { background: #fff1a8; }
.source:target { background: #fffbe6; }
.translation { color: #444; }
#status { min-height: 1.6em; }
"""


class Runner:
    """Runs one question at a time in a worker thread so the page can show elapsed time and stop it."""

    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline
        self.lock = threading.Lock()  # the llama.cpp context serves one question at a time
        self.stops: dict[str, threading.Event] = {}  # the running question of each browser session

    def stop(self, session: str) -> None:
        if session in self.stops:
            self.stops[session].set()

    def events(self, question: str, history: list[Turn], session: str) -> Iterator[object | None]:
        """Pipeline events, with None every quarter second while nothing new arrived; ends early once stopped."""
        out: queue.Queue = queue.Queue()
        stop = self.stops[session] = threading.Event()

        def work() -> None:
            with self.lock:
                try:
                    for event in self.pipeline.stream(question, history):
                        if stop.is_set():
                            break
                        out.put(event)
                except Exception as exc:  # handed to the page as a message; the traceback goes to the log
                    if not isinstance(exc, BotError):
                        traceback.print_exc()
                    out.put(exc)
                finally:
                    out.put(StopIteration)

        threading.Thread(target=work, daemon=True).start()
        try:
            while not stop.is_set():
                try:
                    item = out.get(timeout=0.25)
                except queue.Empty:
                    yield None
                    continue
                if item is StopIteration:
                    return
                yield item
        finally:  # the page went away or was stopped: the worker ends at its next token
            stop.set()
            if self.stops.get(session) is stop:
                del self.stops[session]


def completed(answers: list[Answer | None]) -> list[Answer]:
    """The answers of the conversation, without the questions that were stopped or failed."""
    return [a for a in answers if a is not None]


def _label(key: str, lang: str) -> str:
    return UI[key][lang]


def build_app(settings: Settings, load: Callable[[], Pipeline]) -> gr.Blocks:
    startup_error = ""
    try:
        runner = Runner(load())
    except BotError as exc:
        runner, startup_error = None, str(exc)

    def respond(question: str, chat: list, answers: list, ui_lang: str, request: gr.Request):
        question = clean_question(question or "")  # whatever the page sent: lone surrogates, controls, bidi
        chat = list(chat or [])
        if runner is None:
            yield chat, sources_html(None, ui_lang), f"**{escape_markdown(startup_error)}**", answers, question
            return
        chat += [{"role": "user", "content": escape_markdown(question)},
                 {"role": "assistant", "content": "…"}]
        done = completed(answers)
        history = [Turn("user", done[-1].question), Turn("assistant", done[-1].text)] if done else []
        start, stage, partial = time.perf_counter(), "searching", ""
        for event in runner.events(question, history, request.session_hash or ""):
            seconds = f"{time.perf_counter() - start:.1f} s"
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
                yield chat, sources_html(answer, answer.language, runner.pipeline.sentence_scores), status, \
                    answers + [answer], ""
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
        if runner is not None:
            runner.stop(request.session_hash or "")

    def like(answers: list, comment: str, ui_lang: str, data: gr.LikeData):
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        number = index // 2  # messages alternate question, answer
        if number >= len(answers) or answers[number] is None:
            return _label("nothing_to_rate", ui_lang), comment
        append_feedback(settings.feedback_path,
                        feedback_record(answers[number], bool(data.liked), clean_text(comment or "")))
        return _label("thanks", ui_lang), ""

    def export(answers: list):
        answers = completed(answers)
        if not answers:
            return None
        folder = Path(tempfile.mkdtemp(prefix="conversation-"))
        path = folder / "conversation.md"
        path.write_text(conversation_markdown(answers), encoding="utf-8")
        return str(path)

    def translate(answers: list, ui_lang: str):
        answers = completed(answers)
        if not answers or runner is None:
            return gr.update()
        answer = answers[-1]
        target = answer.language if answer.language != "fr" else ui_lang
        if target == "fr":
            return gr.update()
        with runner.lock:
            translations = {c.n: runner.pipeline.translate(c.chunk.text, target) for c in answer.citations}
        return sources_html(answer, answer.language, runner.pipeline.sentence_scores, translations)

    def relabel(ui_lang: str):
        return (gr.update(label=_label("question", ui_lang), placeholder=_label("placeholder", ui_lang)),
                gr.update(value=_label("send", ui_lang)), gr.update(value=_label("stop", ui_lang)),
                gr.update(value=_label("export", ui_lang)), gr.update(value=_label("translate", ui_lang)),
                gr.update(label=_label("comment", ui_lang)), f"## {_label('title', ui_lang)}",
                _label("intro", ui_lang))

    with gr.Blocks(title="IA en santé en Chine") as demo:
        answers = gr.State([])
        with gr.Row():
            title = gr.Markdown(f"## {_label('title', 'fr')}")
            ui_lang = gr.Radio([("Français", "fr"), ("English", "en")], value="fr", show_label=False,
                               container=False, elem_id="ui-lang")
        intro = gr.Markdown(_label("intro", "fr"))
        if startup_error:
            gr.Markdown(f"**{escape_markdown(startup_error)}**", elem_id="startup-error")
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(height=480, elem_id="chat", buttons=["copy"], sanitize_html=True,
                                  feedback_options=("Like", "Dislike"))
                status = gr.Markdown("", elem_id="status")
                box = gr.Textbox(label=_label("question", "fr"), placeholder=_label("placeholder", "fr"),
                                 lines=2, max_lines=6, elem_id="question")
                with gr.Row():
                    send = gr.Button(_label("send", "fr"), variant="primary", elem_id="send")
                    halt = gr.Button(_label("stop", "fr"), variant="stop", elem_id="stop")
                comment = gr.Textbox(label=_label("comment", "fr"), lines=1, elem_id="comment")
                gr.Examples(examples=[[q] for q in EXAMPLES], inputs=[box], label="Exemples / Examples")
                with gr.Row():
                    export_btn = gr.Button(_label("export", "fr"), elem_id="export")
                    export_file = gr.File(label="Markdown", interactive=False, height=80, elem_id="export-file")
            with gr.Column(scale=2):
                sources = gr.HTML(sources_html(None, "fr"), elem_id="sources")
                translate_btn = gr.Button(_label("translate", "fr"), elem_id="translate")

        outputs = [chat, sources, status, answers, box]
        inputs = [box, chat, answers, ui_lang]
        send.click(respond, inputs, outputs)
        box.submit(respond, inputs, outputs)
        halt.click(stop, None, None, queue=False)
        chat.like(like, [answers, comment, ui_lang], [status, comment], queue=False)
        export_btn.click(export, [answers], [export_file], queue=False)
        translate_btn.click(translate, [answers, ui_lang], [sources])
        ui_lang.change(relabel, [ui_lang], [box, send, halt, export_btn, translate_btn, comment, title, intro],
                       queue=False)
    demo.queue(default_concurrency_limit=settings.concurrency, max_size=settings.max_queue)
    return demo


def launch(demo: gr.Blocks, settings: Settings, block: bool = True) -> None:
    demo.launch(server_name=settings.host, server_port=settings.port, css=CSS, show_error=False,
                prevent_thread_lock=not block, quiet=True, footer_links=[])
