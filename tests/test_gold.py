"""The gold set is well-formed and every evidence string lies whole inside the corpus and a chunk."""
from collections import Counter

from bot.chunk import chunk_corpus
from bot.config import ROOT, Settings
from bot.ingest import load_corpus
from bot.metrics import KINDS, facts_present, holds, load_gold

from conftest import REPORT

GOLD = load_gold(ROOT / "eval" / "gold.jsonl")


def test_size_and_mix():
    langs = Counter(i.lang for i in GOLD)
    kinds = Counter(i.kind for i in GOLD)
    assert len(GOLD) >= 80 and langs["fr"] >= 35 and langs["en"] >= 35
    assert set(kinds) <= set(KINDS) and kinds["unanswerable"] >= 12
    assert all(kinds[k] for k in KINDS)
    assert len({i.id for i in GOLD}) == len(GOLD)


def test_items_are_complete():
    for item in GOLD:
        assert item.question and item.reference, item.id
        if item.answerable:
            assert item.facts and item.evidence, item.id
            assert facts_present(item.reference, item.facts), item.id  # the reference itself passes
        else:
            assert not item.facts and not item.evidence, item.id
        assert bool(item.history) == (item.kind == "followup"), item.id


def test_evidence_is_in_the_report_and_whole_in_a_chunk():
    text = " ".join(REPORT.read_text(encoding="utf-8").split())
    chunks = chunk_corpus(load_corpus(REPORT.parent), Settings().chunk_chars)
    for item in GOLD:
        for evidence in item.evidence:
            assert " ".join(evidence.split()) in text, (item.id, evidence)
            assert any(holds(c.text, evidence) for c in chunks), (item.id, evidence)
