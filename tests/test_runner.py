"""The UI's question runner: a stop or the time limit ends an answer at its next token; the next question runs."""
import math
import time

from bot.app import Runner, TimedOut, completed, last, recent_history
from bot.index import build_index
from bot.pipeline import Pipeline
from bot.retrieve import Retriever
from bot.types import Answer, Citation, Done, Timings, Token, Turn

from fakes import HashEmbedder, ScriptedGenerator


class SlowGenerator(ScriptedGenerator):
    """A scripted reply, one word every 50 ms: long enough to be stopped midway."""

    def stream(self, messages, max_tokens):
        for word in super().stream(messages, max_tokens):
            time.sleep(0.05)
            yield word


QUESTION = "Quelle est la valeur du marché de l'IA en santé en Chine en 2030 ?"


def runner(settings, reply, generator=None):
    embedder = HashEmbedder()
    retriever = Retriever(build_index(settings, embedder), embedder)
    return Runner(Pipeline(settings, embedder, retriever, generator or SlowGenerator(reply)))


def test_stop_ends_the_answer_early_and_the_next_question_is_answered(settings):
    reply = "Le marché devrait atteindre 18,88 milliards de dollars US d'ici 2030 [1]. " + "Encore. " * 200
    generator = SlowGenerator(reply)
    run = runner(settings, reply, generator)
    question = "Quelle est la valeur du marché de l'IA en santé en Chine en 2030 ?"
    started, tokens = time.perf_counter(), 0
    for event in run.events(question, [], "session-a"):
        if isinstance(event, Token):
            tokens += 1
            if tokens == 3:
                run.stop("session-a")
        assert not isinstance(event, Done)
    assert 3 <= tokens < 10 and time.perf_counter() - started < 5

    generator.reply = "Le marché devrait atteindre 18,88 milliards de dollars US d'ici 2030 [1]."  # not 10 s more
    events = list(run.events(question, [], "session-a"))
    assert isinstance(events[-1], Done) and "18,88" in events[-1].answer.text
    assert run.stops == {}  # nothing kept once a question is over


def test_stopping_another_session_leaves_an_answer_alone(settings):
    run = runner(settings, "Le marché devrait atteindre 18,88 milliards de dollars US d'ici 2030 [1].")
    events = run.events("Quelle est la valeur du marché de l'IA en santé en Chine en 2030 ?", [], "session-a")
    first = next(events)
    run.stop("session-b")
    assert isinstance([first, *events][-1], Done)


def test_stopped_questions_are_left_out_of_the_conversation():
    assert completed([None, "a", None, "b"]) == ["a", "b"]


def test_a_question_past_the_time_limit_is_ended_and_the_next_one_runs(settings):
    reply = "Le marché devrait atteindre 18,88 milliards de dollars US d'ici 2030 [1]. " + "Encore. " * 200
    generator = SlowGenerator(reply)
    run = runner(settings, reply, generator)
    run.time_limit = 0.5
    started = time.perf_counter()
    events = [e for e in run.events(QUESTION, [], "session-a") if e is not None]
    assert isinstance(events[-1], TimedOut) and events[-1].seconds == 0.5
    assert not any(isinstance(e, Done) for e in events) and time.perf_counter() - started < 3
    run.time_limit = math.inf
    generator.reply = "Le marché devrait atteindre 18,88 milliards de dollars US d'ici 2030 [1]."
    assert isinstance(list(run.events(QUESTION, [], "session-a"))[-1], Done)


def test_waiting_for_the_model_does_not_count_against_the_time_limit(settings):
    run = runner(settings, "Le marché devrait atteindre 18,88 milliards de dollars US d'ici 2030 [1].")
    run.time_limit = 2.0
    with run.slots:  # another question holds the model for longer than the limit
        events = run.events(QUESTION, [], "session-b")
        assert next(events) is None
        time.sleep(2.5)
    done = [e for e in events if e is not None][-1]
    assert isinstance(done, Done) and "18,88" in done.answer.text


def test_stop_ends_the_model_even_where_the_pipeline_yields_nothing(settings):
    """Translating the sources runs the model without events in between: a stop still ends it at the next word."""
    run = runner(settings, "Traduction. " * 400)
    chunk = run.pipeline.retriever.index.chunks[0]
    started, items = time.perf_counter(), []
    for item in run.translations([Citation(1, chunk), Citation(2, chunk)], "en", "session-a"):
        items.append(item)
        if len(items) == 4:
            run.stop("session-a")
    assert time.perf_counter() - started < 3
    assert not any(isinstance(i, tuple) for i in items)  # not even the first translation was finished
    assert run.slots.acquire(timeout=2)  # the worker let go of the model
    run.slots.release()


def test_a_question_stopped_while_waiting_never_reaches_the_model(settings):
    generator = SlowGenerator("Le marché devrait atteindre 18,88 milliards de dollars US d'ici 2030 [1].")
    run = runner(settings, generator.reply, generator)
    with run.slots:
        events = run.events(QUESTION, [], "session-c")
        next(events)
        run.stop("session-c")
        assert list(events) == []
    time.sleep(0.3)
    with run.slots:
        assert generator.calls == []
    assert isinstance(list(run.events(QUESTION, [], "session-c"))[-1], Done) and len(generator.calls) == 1


def answer(question: str, text: str) -> Answer:
    return Answer(question, "fr", text, False, (), (), Timings(), "scripted")


def test_the_model_is_given_back_a_bounded_history():
    answers = [answer("Q1 ?", "R1."), None, answer("Q2 ?", "R2 " * 500), None]
    assert recent_history(answers, 2, 600) == [Turn("user", "Q2 ?"), Turn("assistant", ("R2 " * 500)[:600])]
    assert recent_history(answers, 4, 10) == [Turn("user", "Q1 ?"), Turn("assistant", "R1."),
                                              Turn("user", "Q2 ?"), Turn("assistant", ("R2 " * 500)[:10])]
    assert recent_history(answers, 0, 600) == [] and recent_history([], 2, 600) == []
    assert recent_history(answers, 1, 600) == [Turn("assistant", ("R2 " * 500)[:600])]


def test_a_conversation_keeps_its_last_exchanges():
    assert last([1, 2, 3], 2) == [2, 3] and last([1, 2, 3], 5) == [1, 2, 3] and last([1, 2, 3], 0) == []


def test_with_slots_questions_run_at_once_and_each_stop_ends_only_its_own(settings):
    """A generation server's slots: two questions stream side by side; stopping one leaves the other."""
    reply = "Le marché devrait atteindre 18,88 milliards de dollars US d'ici 2030 [1]. " + "Encore. " * 40
    embedder = HashEmbedder()
    pipeline = Pipeline(settings, embedder, Retriever(build_index(settings, embedder), embedder), SlowGenerator(reply))
    run = Runner(pipeline, slots=2)
    a, b = run.events(QUESTION, [], "session-a"), run.events(QUESTION, [], "session-b")
    tokens = {"a": 0, "b": 0}
    while tokens["a"] < 3 or tokens["b"] < 3:  # both stream before either is over
        for name, events in (("a", a), ("b", b)):
            event = next(events)
            assert not isinstance(event, Done)
            tokens[name] += isinstance(event, Token)
    run.stop("session-a")
    assert not any(isinstance(e, Done) for e in a)
    done = [e for e in b if e is not None][-1]
    assert isinstance(done, Done) and "18,88" in done.answer.text
