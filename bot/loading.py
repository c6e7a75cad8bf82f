"""The models loaded in a background thread while the page is already served; questions asked meanwhile wait."""
from __future__ import annotations

import math
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from bot.errors import BotError
from bot.prompts import UI
from bot.runner import Runner
from bot.types import Citation, Language, Turn

TICK_S = 0.25  # how often a waiting question hears that the models are still loading


@dataclass(frozen=True)
class Loading:
    """The question waits for the models; it has waited `seconds`."""

    seconds: float


@dataclass(frozen=True)
class StillLoading:
    """The models were not loaded within the question's time limit: the question was not asked."""

    seconds: float


@dataclass(frozen=True)
class LoadFailed:
    """The models could not be loaded: the question was not asked; `message` says what to do."""

    message: str


class Startup:
    """The runner, loaded once in a background thread, and the questions that wait for it.

    A question asked while the models load waits for them rather than being told to come back: the
    reader asked once and is answered as soon as an answer can be given, the page says meanwhile that
    the models are loading, and an HTTP client needs no retry loop. The wait is bounded by the question's
    time limit; past it (a start far slower than usual) the question is told to try again in a few
    seconds, and the page gives it back in the question box."""

    def __init__(self, load: Callable[[], Runner], time_limit: float = math.inf):
        self._load = load
        self.time_limit = time_limit
        self.runner: Runner | None = None
        self.error = ""  # why the models could not be loaded, for the reader
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._waiting: dict[str, threading.Event] = {}  # the stop flag of each session's waiting question

    def start(self) -> Startup:
        """Start loading (again: nothing more)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="load-models", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            self.runner = self._load()
        except BotError as exc:
            self.error = str(exc)
        except Exception:  # a bug: its traceback goes to the log; the server stays up to say so
            traceback.print_exc()
            self.error = " / ".join(UI["load_failed"][lang] for lang in ("en", "fr"))
        finally:
            self._done.set()
        outcome = f"Models loaded in {time.perf_counter() - started:.1f} s." if self.runner else self.error
        print(outcome, file=sys.stderr, flush=True)

    @property
    def loading(self) -> bool:
        return not self._done.is_set()

    @property
    def failed(self) -> bool:
        return self._done.is_set() and self.runner is None

    def wait(self, timeout: float | None = None) -> bool:
        """Whether the load has ended (loaded or failed) within `timeout` seconds."""
        return self._done.wait(timeout)

    def events(self, question: str, history: list[Turn], session: str,
               language: Language | None = None) -> Iterator[object | None]:
        """The runner's items for a question (`Runner.events`), after `Loading` every quarter second while
        the models load; `StillLoading` or `LoadFailed` instead when it cannot be asked."""
        return self._when_loaded(lambda runner: runner.events(question, history, session, language), session)

    def translations(self, citations: Iterable[Citation], language: str, session: str) -> Iterator[object | None]:
        """`Runner.translations`, once the models are loaded, as `events` waits for them."""
        return self._when_loaded(lambda runner: runner.translations(citations, language, session), session)

    def stop(self, session: str) -> None:
        """Stop the session's question, whether it waits for the models or has them."""
        if (waiting := self._waiting.get(session)) is not None:
            waiting.set()
        if self.runner is not None:
            self.runner.stop(session)

    def _when_loaded(self, work: Callable[[Runner], Iterator[object | None]],
                     session: str) -> Iterator[object | None]:
        if self.loading:
            stop = self._waiting[session] = threading.Event()
            began = time.monotonic()
            try:
                while self.loading and not stop.is_set():
                    waited = time.monotonic() - began
                    if waited > self.time_limit:
                        yield StillLoading(self.time_limit)
                        return
                    yield Loading(waited)
                    self._done.wait(TICK_S)
            finally:
                if self._waiting.get(session) is stop:
                    del self._waiting[session]
            if stop.is_set():
                return
        if self.runner is None:
            yield LoadFailed(self.error)
            return
        yield from work(self.runner)
