"""The UI's question runner: stop ends an answer at the next token, and the next question still runs."""
import time

from bot.app import Runner, completed
from bot.index import build_index
from bot.pipeline import Pipeline
from bot.retrieve import Retriever
from bot.types import Done, Token

from fakes import HashEmbedder, ScriptedGenerator


class SlowGenerator(ScriptedGenerator):
    """A scripted reply, one word every 50 ms: long enough to be stopped midway."""

    def stream(self, messages, max_tokens):
        for word in super().stream(messages, max_tokens):
            time.sleep(0.05)
            yield word


def runner(settings, reply):
    embedder = HashEmbedder()
    retriever = Retriever(build_index(settings, embedder), embedder)
    return Runner(Pipeline(settings, embedder, retriever, SlowGenerator(reply)))


def test_stop_ends_the_answer_early_and_the_next_question_is_answered(settings):
    reply = "Le marché devrait atteindre 18,88 milliards de dollars US d'ici 2030 [1]. " + "Encore. " * 200
    run = runner(settings, reply)
    question = "Quelle est la valeur du marché de l'IA en santé en Chine en 2030 ?"
    started, tokens = time.perf_counter(), 0
    for event in run.events(question, [], "session-a"):
        if isinstance(event, Token):
            tokens += 1
            if tokens == 3:
                run.stop("session-a")
        assert not isinstance(event, Done)
    assert 3 <= tokens < 10 and time.perf_counter() - started < 5

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
