"""Running the gold items: an answer ended by its time limit is recorded as declined, and the run goes on."""
from bot.evaluate import run_items
from bot.index import build_index
from bot.metrics import TIMED_OUT, GoldItem, breakdown
from bot.pipeline import Pipeline
from bot.prompts import REASONS, UI
from bot.retrieve import Retriever

from fakes import HashEmbedder, TimingOut

QUESTION = "Quelle est la valeur du marché de l'IA en santé en Chine en 2030 ?"
SLOW = "Quels sont les principaux acteurs de la télémédecine en Chine ?"
REPLY = "Le marché devrait atteindre 18,88 milliards de dollars US d'ici 2030 [1]."


def item(id: str, question: str, kind: str = "fact", facts=(), evidence=()) -> GoldItem:
    return GoldItem(id=id, lang="fr", kind=kind, question=question, reference="", facts=facts, evidence=evidence)


def test_an_item_past_the_time_limit_is_declined_with_its_reason_and_the_run_goes_on(settings):
    embedder = HashEmbedder()
    generator = TimingOut(REPLY, slow=SLOW, seconds=1.5)
    pipeline = Pipeline(settings, embedder, Retriever(build_index(settings, embedder), embedder), generator)
    items = [item("slow-answerable", SLOW, facts=(("Ping An",),)), item("slow-unanswerable", SLOW, "unanswerable"),
             item("fast", QUESTION, facts=(("18,88",),), evidence=("18,88",))]
    results = run_items(pipeline, items, progress=False)
    assert [r.id for r in results] == ["slow-answerable", "slow-unanswerable", "fast"]
    for timed_out in results[:2]:
        assert timed_out.abstained and timed_out.reason == TIMED_OUT and not timed_out.correct
        assert timed_out.answer == UI["time_limit"]["fr"].format(seconds="1.5") and timed_out.total_ms > 0
    assert results[2].correct and not results[2].abstained and results[2].evidence_rank is not None
    summary = breakdown(results)["all"]
    assert summary["refusals_by_reason"] == {TIMED_OUT: 2} and TIMED_OUT in REASONS
    assert summary["abstention_recall"] == 0.0  # running out of time is no judgement that the report is silent
    assert summary["false_refusal_rate"] == 0.5
