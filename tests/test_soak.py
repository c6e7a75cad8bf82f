"""200 questions in a row through one pipeline: memory stays bounded and every answer is the first one again."""
import time

from bot.config import ROOT
from bot.index import build_index
from bot.pipeline import Pipeline
from bot.retrieve import Retriever
from bot.soak import Checkpoint, SoakResult, run_soak, soak_questions

from fakes import AnswerKey, HashEmbedder

GOLD = ROOT / "eval" / "gold.jsonl"


def test_two_hundred_questions_keep_memory_bounded_and_answers_identical(settings, capsys, record_property):
    from bot.metrics import load_gold

    items = [g for g in load_gold(GOLD) if not g.history][:20]
    questions = soak_questions(GOLD, 20)
    assert questions == [g.question for g in items]
    embedder = HashEmbedder()
    pipeline = Pipeline(settings, embedder, Retriever(build_index(settings, embedder), embedder),
                        AnswerKey({g.question: f"{g.reference} [1]" for g in items}))
    lines = []
    started = time.perf_counter()
    result = run_soak(pipeline, questions, 200, every=50, max_growth_mb=16, report=lines.append)
    seconds = time.perf_counter() - started
    lines.append(f"soak wall time {seconds:.1f} s")
    with capsys.disabled():  # the memory figures belong in the test run's output
        print("\n" + "\n".join(lines))
    record_property("soak", " | ".join(lines))

    assert [c.questions for c in result.checkpoints] == [50, 100, 150, 200]
    assert result.changed == () and result.ok, result.summary()
    assert all(c.rss_mb > 0 and c.peak_rss_mb > 0 for c in result.checkpoints)
    # The stand-in's answers differ from question to question, so a mix-up would show as a change.
    assert len({pipeline.answer(q).text for q in questions}) > 5


def test_a_changed_answer_or_growing_memory_fails_the_soak():
    points = (Checkpoint(50, 1000, 900, 0), Checkpoint(100, 1100, 1000, 0))
    assert not SoakResult(points, (), 64).ok  # 100 MB more after every question was asked once
    assert SoakResult(points, (), 128).ok
    assert not SoakResult(points, ("Quelle est la taille du marché ?",), 128).ok


def test_a_pipeline_that_drifts_is_caught(settings):
    class Drifting(AnswerKey):
        calls = 0

        def stream(self, messages, max_tokens):
            Drifting.calls += 1  # every other answer, the model declines
            yield "NOT_FOUND" if Drifting.calls % 2 == 0 else \
                "Le marché chinois de l'IA en santé était valorisé à 1,59 milliard de dollars US en 2023 [1]."

    embedder = HashEmbedder()
    settings = settings.with_(read_margin=1.0)  # every passage read at once: one call per answer
    pipeline = Pipeline(settings, embedder, Retriever(build_index(settings, embedder), embedder), Drifting({}))
    question = "Quelle était la valeur du marché chinois de l'IA en santé en 2023 ?"
    result = run_soak(pipeline, [question], 4, every=2, report=lambda line: None)
    assert result.changed and not result.ok
