"""The gold set is well-formed and every evidence string lies whole inside the corpus and a chunk."""
import json
from collections import Counter

from bot.chunk import chunk_corpus
from bot.config import ROOT, Settings
from bot.ingest import load_corpus
from bot.metrics import KINDS, facts_present, holds, load_gold

from conftest import REPORT

GOLD_PATH = ROOT / "eval" / "gold.jsonl"
GOLD = load_gold(GOLD_PATH)
# load_gold keeps only what scoring needs; tags are read from the raw lines.
RAW = [json.loads(line) for line in GOLD_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]


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


def test_tags_are_lists_of_strings():
    for raw in RAW:
        tags = raw.get("tags", [])
        assert isinstance(tags, list) and all(isinstance(t, str) and t for t in tags), raw["id"]


def test_adversarial_items_are_many_and_balanced():
    adversarial = [raw for raw in RAW if "adversarial" in raw.get("tags", [])]
    langs = Counter(raw["lang"] for raw in adversarial)
    assert len(adversarial) >= 30 and langs["fr"] >= 14 and langs["en"] >= 14, langs
    # Both sides of the trap: a tempting figure the report never gives, and one it gives next to a decoy.
    unanswerable = sum(raw["kind"] == "unanswerable" for raw in adversarial)
    assert unanswerable >= 12 and len(adversarial) - unanswerable >= 12, unanswerable
