"""The models loaded in the background: questions wait for them, a failed load says why, a wait is bounded."""
import threading
import time

from bot.errors import ModelError
from bot.loading import LoadFailed, Loading, Startup, StillLoading
from bot.prompts import UI


class GatedLoad:
    """Stands for loading the models: gives `loaded` once the test opens the gate (or raises `error`)."""

    def __init__(self, loaded=None, error: Exception | None = None):
        self.loaded, self.error = loaded, error
        self.gate = threading.Event()

    def __call__(self):
        assert self.gate.wait(timeout=60)
        if self.error is not None:
            raise self.error
        return self.loaded


class Answering:
    """Stands for the runner: answers each question with its own words, and records the sessions stopped."""

    def __init__(self):
        self.stopped: list[str] = []

    def events(self, question, history, session, language=None):
        yield from ("answer to", question)

    def translations(self, citations, language, session):
        yield from ((n, f"{language} {n}") for n in citations)

    def stop(self, session):
        self.stopped.append(session)


def test_a_question_waits_for_the_models_then_is_answered():
    load = GatedLoad(Answering())
    startup = Startup(load).start()
    events = startup.events("Q?", [], "s")
    assert isinstance(next(events), Loading) and isinstance(next(events), Loading)
    assert startup.loading and not startup.failed and startup.runner is None
    load.gate.set()
    rest = list(events)
    assert rest[-2:] == ["answer to", "Q?"] and all(isinstance(e, Loading) for e in rest[:-2])
    assert not startup.loading and list(startup.events("Again?", [], "s")) == ["answer to", "Again?"]


def test_waiting_is_told_every_tick_with_the_time_waited():
    startup = Startup(GatedLoad(Answering())).start()
    events = startup.events("Q?", [], "s")
    first, second = next(events), next(events)
    assert isinstance(first, Loading) and isinstance(second, Loading) and 0 <= first.seconds < second.seconds < 5


def test_a_failed_load_tells_every_question_why():
    load = GatedLoad(error=ModelError("The generator model is missing: run `make setup`."))
    startup = Startup(load).start()
    waiting = startup.events("Q?", [], "s")
    assert isinstance(next(waiting), Loading)
    load.gate.set()
    assert list(waiting)[-1] == LoadFailed("The generator model is missing: run `make setup`.")
    assert startup.failed and startup.error == "The generator model is missing: run `make setup`."
    assert list(startup.events("Q?", [], "s")) == [LoadFailed(startup.error)]
    assert list(startup.translations([1], "en", "s")) == [LoadFailed(startup.error)]


def test_a_bug_while_loading_is_logged_and_the_page_says_the_models_could_not_be_loaded(capsys):
    load = GatedLoad(error=KeyError("bug"))
    load.gate.set()
    startup = Startup(load).start()
    assert startup.wait(10) and startup.failed
    assert startup.error == f"{UI['load_failed']['en']} / {UI['load_failed']['fr']}"
    assert "KeyError: 'bug'" in capsys.readouterr().err  # the traceback, in the server's log


def test_a_question_waits_no_longer_than_its_time_limit():
    startup = Startup(GatedLoad(Answering()), time_limit=0.3).start()
    started = time.perf_counter()
    events = list(startup.events("Q?", [], "s"))
    assert events[-1] == StillLoading(0.3) and all(isinstance(e, Loading) for e in events[:-1])
    assert 0.3 <= time.perf_counter() - started < 3


def test_a_stop_ends_the_wait_and_reaches_the_runner_once_loaded():
    load = GatedLoad(Answering())
    startup = Startup(load).start()
    events = startup.events("Q?", [], "s")
    next(events)
    startup.stop("s")
    assert [e for e in events if not isinstance(e, Loading)] == []  # ended without asking
    load.gate.set()
    assert startup.wait(10)
    startup.stop("s")
    assert load.loaded.stopped == ["s"]


def test_the_load_starts_once():
    calls = []
    startup = Startup(lambda: calls.append(1) or Answering())
    assert startup.loading and not startup.wait(0.1)  # not started: nothing loads
    startup.start().start()
    assert startup.wait(10) and calls == [1]
