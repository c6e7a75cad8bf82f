"""Questions on the model, for the page and the HTTP API alike: one at a time in-process (as many as a generation
server has slots), stop, time limit, a worker thread each."""
from __future__ import annotations

import copy
import math
import queue
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.errors import BotError
from bot.types import Citation, Language, Turn

if TYPE_CHECKING:  # the page is served before the pipeline's modules (BM25, word lists) are needed
    from bot.pipeline import Pipeline


@dataclass(frozen=True)
class TimedOut:
    """The question ran past the time limit and was ended."""

    seconds: float


class Interrupted(Exception):
    """Raised in the model's stream once the question holding the model is stopped or out of time."""


class _Interruptible:
    """A generator that ends at its next token once `stopped()` is true: a stop or a time limit thus
    ends the model's work wherever the pipeline is (a second draft, a translation), not only between
    the events it yields."""

    def __init__(self, generator, stopped: Callable[[], bool]):
        self._generator = generator
        self._stopped = stopped
        self.name = generator.name

    def stream(self, messages: list[dict[str, str]], max_tokens: int) -> Iterator[str]:
        if self._stopped():
            raise Interrupted
        pieces = self._generator.stream(messages, max_tokens)
        try:
            for piece in pieces:
                if self._stopped():
                    raise Interrupted
                yield piece
        finally:
            getattr(pieces, "close", lambda: None)()

    def __getattr__(self, name: str):  # count_tokens and the like
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._generator, name)


class Runner:
    """Runs each question in a worker thread so the page can show elapsed time, stop it, and end it once it
    has held the model longer than `time_limit` seconds. `slots` questions run at once: 1 for the in-process
    model (one llama.cpp context), a generation server's parallel slots otherwise."""

    def __init__(self, pipeline: Pipeline, time_limit: float = math.inf, slots: int = 1):
        self.pipeline = pipeline  # the models, shared by every question
        self.time_limit = time_limit
        self.slots = threading.BoundedSemaphore(slots)
        self.stops: dict[str, threading.Event] = {}  # the running question of each browser session

    def stop(self, session: str) -> None:
        if session in self.stops:
            self.stops[session].set()

    def events(self, question: str, history: list[Turn], session: str,
               language: Language | None = None) -> Iterator[object | None]:
        """Pipeline events, with None every quarter second while nothing new arrived; ends early once
        stopped, or with TimedOut once past the time limit. `language` is the reader's, when known."""
        return self._run(lambda pipeline: pipeline.stream(question, history, language), session)

    def translations(self, citations: Iterable[Citation], language: str, session: str) -> Iterator[object | None]:
        """(n, passage n in `language`) for each citation, in a slot, with the same stop and time limit."""
        return self._run(lambda pipeline: ((c.n, pipeline.passage_in(c.chunk, language)) for c in citations),
                         session)

    def _run(self, work_items: Callable[[Pipeline], Iterable[object]], session: str) -> Iterator[object | None]:
        out: queue.Queue = queue.Queue()
        stop = self.stops[session] = threading.Event()
        began: list[float] = []  # when the work got the model: waiting for it is not held against it

        def work() -> None:
            with self.slots:
                began.append(time.monotonic())
                # The same models, with a generator that this question's stop or time limit interrupts.
                pipeline = copy.copy(self.pipeline)
                pipeline.generator = _Interruptible(self.pipeline.generator, stop.is_set)
                try:
                    if not stop.is_set():  # stopped while waiting: nothing to do
                        for item in work_items(pipeline):
                            if stop.is_set():
                                break
                            out.put(item)
                except Interrupted:
                    pass
                except Exception as exc:  # handed to the page as a message; the traceback goes to the log
                    if not isinstance(exc, BotError):
                        traceback.print_exc()
                    out.put(exc)
                finally:
                    out.put(StopIteration)

        threading.Thread(target=work, daemon=True).start()
        try:
            while not stop.is_set():
                if began and time.monotonic() - began[0] > self.time_limit:
                    yield TimedOut(self.time_limit)
                    return
                try:
                    item = out.get(timeout=0.25)
                except queue.Empty:
                    yield None
                    continue
                if item is StopIteration:
                    return
                yield item
        finally:  # the page went away, was stopped or ran out of time: the worker ends at its next token
            stop.set()
            if self.stops.get(session) is stop:
                del self.stops[session]
