"""The gate's arithmetic and the metrics, on hand-made results (fast)."""
from bot.evaluate import gate
from bot.metrics import ItemResult, evidence_rank, facts_present, summarize
from bot.types import Chunk


def result(correct=True, answerable=True, abstained=False, rank=1, lang_ok=True, unsupported=()):
    return ItemResult(id="x", lang="fr", kind="fact" if answerable else "unanswerable", question="q",
                      answer="a", abstained=abstained, correct=correct, evidence_rank=rank if answerable else None,
                      cited=1, cited_with_evidence=1 if correct else 0, dropped_markers=0, language_ok=lang_ok,
                      unsupported=list(unsupported), first_token_ms=100, total_ms=200, answerable=answerable)


def test_facts_ignore_case_accents_spaces_and_number_formats():
    assert facts_present("Le marché atteindra 18.88 MILLIARDS [1] avec un TCAC de 42.5 %", (("18,88",), ("42,5",)))
    assert facts_present("plus de 38,000 hopitaux", (("38 000",),))
    assert not facts_present("16,02 milliards", (("18,88",),))
    assert facts_present("Télémédecine rurale", (("telemedecine",), ("rural", "campagne")))


def test_evidence_rank_needs_every_evidence_string():
    chunks = [Chunk("a", "s", "S", "S ¶1", "Alpha beta."), Chunk("b", "s", "S", "S ¶2", "Gamma delta.")]
    assert evidence_rank(chunks, ("beta",)) == 1
    assert evidence_rank(chunks, ("beta", "gamma")) == 2
    assert evidence_rank(chunks, ("epsilon",)) is None


def test_summary_and_gate():
    results = [result() for _ in range(4)] + [result(correct=False, abstained=True),
                                              result(answerable=False, abstained=True, correct=True)]
    s = summarize(results)
    assert s["accuracy"] == 0.8 and s["false_refusal_rate"] == 0.2
    assert s["abstention_recall"] == 1.0 and s["recall@1"] == 1.0 and s["unsupported_figures"] == 0
    baseline = {"metrics": {"accuracy": 0.9, "abstention_recall": 1.0, "citation_precision": 1.0,
                            "recall@5": 1.0, "language_match": 1.0, "unsupported_figures": 0}}
    failures = gate(s, baseline)
    assert any(f.startswith("accuracy") for f in failures)
    assert not gate(s, {"metrics": dict(baseline["metrics"], accuracy=0.82)})
    assert any("floor" in f for f in gate(summarize(results[4:]), {"metrics": dict(baseline["metrics"], accuracy=0.0)}))
    refusing = dict(baseline["metrics"], accuracy=0.8, false_refusal_rate=0.1)
    assert [f for f in gate(s, {"metrics": refusing}) if f.startswith("false_refusal_rate")] == [
        "false_refusal_rate 0.200 is more than 0.05 above the baseline 0.100"]
    assert not gate(s, {"metrics": dict(refusing, false_refusal_rate=0.18)})
    everything_refused = summarize([result(correct=False, abstained=True)] * 4)
    assert any("over the ceiling" in f for f in gate(everything_refused, {"metrics": {}}))
    s_bad = summarize(results + [result(unsupported=("99",))])
    assert any(f.startswith("unsupported_figures") for f in gate(s_bad, {"metrics": dict(baseline["metrics"], accuracy=0.8)}))


def test_a_wrong_figure_is_a_figure_the_answer_gives_that_the_reference_does_not_and_not_a_label():
    from bot.metrics import GoldItem, wrong_figure
    from bot.types import Answer, Timings

    item = GoldItem(id="x", lang="en", kind="fact", question="What is the market size in 2030?",
                    reference="US$18.88 billion by 2030.", facts=(("18,88",),),
                    evidence=("18,88 milliards de dollars US d'ici 2030",))

    def answer(text):
        return Answer(item.question, "en", text, False, (), (), Timings(), "m")

    assert wrong_figure(item, answer("The market reaches US$16.02 billion [1]."), correct=False)
    assert not wrong_figure(item, answer("AI suits tier-2 cities best [1]."), correct=False)
    assert not wrong_figure(item, answer("The market reaches US$18.88 billion by 2030 [1]."), correct=False)
