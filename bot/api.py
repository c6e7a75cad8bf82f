"""The HTTP API beside the page: POST /api/ask (the `ask --jsonl` object), its server-sent-events variant,
GET /api/health and OpenAPI docs; questions go through the page's runner, waiting room and time limit, and
wait for the models while they load."""
from __future__ import annotations

import json
import uuid
from collections.abc import AsyncGenerator, AsyncIterator

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import Response, StreamingResponse
from starlette.middleware import Middleware

from bot.body_limit import BodyLimit
from bot.config import Settings
from bot.errors import BotError, InputError, TimeLimitError
from bot.lang import detect_language
from bot.loading import LoadFailed, Loading, Startup, StillLoading
from bot.prompts import UI, error_message
from bot.protocol import AskRequest, error_record, parse_json
from bot.runner import TimedOut
from bot.sanitize import clean_question, valid_text
from bot.types import Done, Language, Status, Token
from bot.waiting import Place, WaitingRoom

PATH = "/api"  # where the API is mounted in the page's server
RETRY_SECONDS = 10  # told to a client that finds the service busy
_KEEP_ALIVE = 20  # quarter seconds without news before a stream sends a comment line (a client that left is noticed)
_END = object()

_ASK_BODY = {
    "required": True,
    "description": "The same object as an `ask --jsonl` line.",
    "content": {"application/json": {"schema": {
        "type": "object", "required": ["question"],
        "properties": {
            "question": {"type": "string", "example": "What does the report say about PIPL?"},
            "history": {"type": "array", "description": "Earlier turns of the conversation, oldest first.",
                        "items": {"type": "object", "required": ["role", "content"],
                                  "properties": {"role": {"type": "string", "enum": ["user", "assistant"]},
                                                 "content": {"type": "string"}}}},
            "language": {"type": "string", "enum": ["fr", "en"],
                         "description": "The reader's language, used when the question is too short to tell."},
        }}}},
}
_ERROR = {"content": {"application/json": {"schema": {
    "type": "object", "properties": {"question": {"type": "string"}, "error": {"type": "string"}}}}}}
_ERRORS = {
    400: {"description": "Malformed JSON, a missing question, bad history or language, an empty or too long "
                         "question: `{\"question\", \"error\"}`.", **_ERROR},
    413: {"description": "The body is over the size limit: `{\"error\"}`.", **_ERROR},
    500: {"description": "An internal error on this question (details in the server's log).", **_ERROR},
    503: {"description": "Busy (the queue shared with the page is full: retry after `Retry-After` seconds), "
                         "the models still loading after the time limit (retry after `Retry-After` seconds; a "
                         "question asked while they load waits for them), or the models are not installed.",
          **_ERROR},
    504: {"description": "The answer ran past the time limit and was ended.", **_ERROR},
}
_ANSWER = {"description": "The `ask --jsonl` object: question, language, answer, abstained, citations, passages, "
                          "timings, model; `reason` when the answer declines; `withdrawn` when the checks took "
                          "sentences out.",
           "content": {"application/json": {"schema": {"type": "object"}}}}
_STREAM = {"description": "Server-sent events: `status` ({\"stage\": \"retrieving\"|\"writing\"}; a `writing` "
                          "after tokens means the draft starts over), `token` ({\"text\"}), then `answer` (the "
                          "`ask --jsonl` object, whose text may differ from the tokens: the checks have run) or "
                          "`error` ({\"question\", \"error\"}: the time limit, an internal error). The response "
                          "starts once the question has the model: until then, the errors are those of /ask. Lines "
                          "starting with `:` keep the connection alive.",
           "content": {"text/event-stream": {"schema": {"type": "string"}}}}


class Refused(Exception):
    """A question answered with an error object and an HTTP status instead of an answer."""

    def __init__(self, status: int, question: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.record, self.headers = status, error_record(question, message), headers

    def response(self) -> Response:
        return _json(self.record, self.status, self.headers)


def _json(record: dict, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    # As `ask --jsonl` writes it: UTF-8 whatever a model streams.
    return Response(valid_text(json.dumps(record, ensure_ascii=False)), status, headers, "application/json")


def _sse(event: str, record: dict) -> str:
    return f"event: {event}\ndata: {valid_text(json.dumps(record, ensure_ascii=False))}\n\n"


def _language(asked: AskRequest) -> Language:
    return asked.language or detect_language(asked.question)


def _refusal(item: object, asked: AskRequest) -> Refused | None:
    """The error object for a runner item that ends the question without an answer."""
    if isinstance(item, StillLoading):
        return Refused(503, asked.question, UI["still_loading"][_language(asked)], {"Retry-After": str(RETRY_SECONDS)})
    if isinstance(item, LoadFailed):
        return Refused(503, asked.question, item.message)
    if isinstance(item, TimedOut | TimeLimitError):
        message = UI["time_limit"][_language(asked)].format(seconds=f"{item.seconds:g}")
        return Refused(504, asked.question, message)
    if isinstance(item, InputError):
        return Refused(400, asked.question, str(item))
    if isinstance(item, BotError):
        return Refused(503, asked.question, str(item))
    if isinstance(item, Exception):  # its traceback is in the log already (the runner's worker printed it)
        return Refused(500, asked.question, error_message("internal", "en"))
    return None


def _as_event(item: object, asked: AskRequest) -> tuple[str, bool] | None:
    """A runner item as a server-sent event, and whether it ends the stream; None for an item not sent."""
    if isinstance(item, Status):
        return _sse("status", {"stage": item.stage}), False
    if isinstance(item, Token):
        return _sse("token", {"text": item.text}), False
    if isinstance(item, Done):
        return _sse("answer", item.answer.to_json()), True
    if (refusal := _refusal(item, asked)) is not None:
        return _sse("error", refusal.record), True
    return None


async def _events(first: object, items: AsyncGenerator, asked: AskRequest) -> AsyncIterator[str]:
    """`first`, then the question's other items, as server-sent events; a comment line after a few seconds
    without news (a proxy keeps the connection, and a client that left is noticed)."""
    item, quiet = first, 0
    while True:
        quiet = quiet + 1 if item is None else 0
        if quiet and quiet % _KEEP_ALIVE == 0:
            yield ": waiting\n\n"
        elif (event := _as_event(item, asked)) is not None:
            yield event[0]
            if event[1]:
                return
        try:
            item = await anext(items)
        except StopAsyncIteration:
            return


class _EventStream(StreamingResponse):
    """Server-sent events for one question. However the response ends, also when the client leaves before
    it starts, the model's work is ended and the question's place in the waiting room given back."""

    def __init__(self, first: object, items: AsyncGenerator, asked: AskRequest, place: Place):
        super().__init__(_events(first, items, asked), media_type="text/event-stream",
                         headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        self._items, self._place = items, place

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.body_iterator.aclose()
            await self._items.aclose()
            self._place.free()


async def _first_news(items: AsyncIterator, request: Request) -> object | None:
    """The question's first item: it has the model, and the pipeline has checked its input. None when the
    client left while it waited."""
    async for item in items:
        if item is not None:
            return item
        if await request.is_disconnected():
            return None
    return None


def build_api(settings: Settings, startup: Startup, room: WaitingRoom) -> FastAPI:
    """The API app, to be mounted at PATH; `startup` holds the page's runner once the models are loaded
    (when they could not be, every question is told why)."""
    api = FastAPI(title="IA en santé en Chine — API", version="1", docs_url="/docs", redoc_url=None,
                  openapi_url="/openapi.json",
                  description="Questions on the report, answered with citations, as `python -m bot ask --jsonl` "
                              "answers them. One question holds the model at a time, the page's included.",
                  # A chunked body is read inside this app: its own bound turns the overflow into a 413, not a 500.
                  middleware=[Middleware(BodyLimit, max_bytes=settings.max_request_bytes, json_under="")])
    # The API's questions wait for the model in threads of their own, not in those serving the page.
    threads = anyio.CapacityLimiter(settings.max_queue + settings.concurrency)

    @api.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        return exc.response()

    async def admitted(request: Request) -> tuple[AskRequest, Place]:
        text = (await request.body()).decode("utf-8", "replace")
        try:
            asked = parse_json(text)
        except InputError as exc:
            raise Refused(400, clean_question(text), str(exc)) from None
        if startup.failed:
            raise Refused(503, asked.question, startup.error)
        place = room.enter()
        if place is None:
            raise Refused(503, asked.question, UI["busy"][_language(asked)], {"Retry-After": str(RETRY_SECONDS)})
        return asked, place

    async def run(asked: AskRequest, place: Place) -> AsyncIterator[object | None]:
        """The runner's items for one question, read off the event loop; the question leaves the waiting
        room at its first item (it has the model; waiting for the models to load, it keeps its place).
        Closing this ends the model's work at its next token."""
        events = startup.events(asked.question, asked.history, f"api-{uuid.uuid4().hex}", asked.language)
        try:
            while (item := await anyio.to_thread.run_sync(next, events, _END, limiter=threads)) is not _END:
                if isinstance(item, Loading):  # as while it waits for a slot on the model
                    item = None
                if item is not None:
                    place.free()
                yield item
        finally:
            events.close()

    @api.post("/ask", summary="Ask a question; get the `ask --jsonl` object",
              openapi_extra={"requestBody": _ASK_BODY}, responses={200: _ANSWER, **_ERRORS})
    async def ask(request: Request) -> Response:
        asked, place = await admitted(request)
        items = run(asked, place)
        try:
            async for item in items:
                if isinstance(item, Done):
                    return _json(item.answer.to_json())
                if (refusal := _refusal(item, asked)) is not None:
                    return refusal.response()
                if await request.is_disconnected():  # nobody to answer: the model is freed at its next token
                    break
        finally:
            await items.aclose()
            place.free()
        return Response(status_code=499)  # the client left: nobody reads this

    @api.post("/ask/stream", summary="Ask a question; get server-sent events, then the `ask --jsonl` object",
              openapi_extra={"requestBody": _ASK_BODY}, responses={200: _STREAM, **_ERRORS},
              response_class=StreamingResponse)
    async def ask_stream(request: Request) -> Response:
        asked, place = await admitted(request)
        items, streaming = run(asked, place), False
        try:
            # The status line waits for the model and for the pipeline's checks of the question, so that
            # an empty or too long question gets its 400 here as well.
            first = await _first_news(items, request)
            if first is None:
                return Response(status_code=499)
            if (refusal := _refusal(first, asked)) is not None:
                return refusal.response()
            streaming = True
            return _EventStream(first, items, asked, place)
        finally:
            if not streaming:
                await items.aclose()
                place.free()

    @api.get("/health", summary="Are the models loaded? Which index?")
    async def health() -> Response:
        if startup.loading:  # questions are taken, and wait for the models
            return _json({"status": "loading", "models_loaded": False,
                          "queue": {"waiting": room.waiting, "size": room.size}},
                         503, {"Retry-After": str(RETRY_SECONDS)})
        if startup.failed:
            return _json({"status": "unavailable", "models_loaded": False, "error": startup.error}, 503)
        pipeline, manifest = startup.runner.pipeline, startup.runner.pipeline.retriever.index.manifest
        return _json({
            "status": "ok", "models_loaded": True, "generator": pipeline.generator.name,
            "embedder": pipeline.embedder.id,
            "index": {"version": manifest.folder, "built_at": manifest.built_at, "chunks": manifest.chunks,
                      "format": manifest.format, "corpus_sha256": manifest.corpus_sha256},
            "queue": {"waiting": room.waiting, "size": room.size},
        })

    return api
