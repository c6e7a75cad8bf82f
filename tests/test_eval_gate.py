"""The regression gate: the whole gold set through the real pipeline, compared with the baseline."""
import json

import pytest

from bot.config import ROOT
from bot.evaluate import BASELINE, evaluate, gate, report_markdown, write_outputs
from bot.metrics import load_gold

pytestmark = pytest.mark.integration

GOLD = ROOT / "eval" / "gold.jsonl"


# The whole gold set takes ~16 s a question on two cores (eval/report.md): ~40 min for 140 questions.
@pytest.mark.timeout(3600)
def test_gold_set_holds_the_baseline(real_pipeline):
    items = load_gold(GOLD)
    groups, results = evaluate(real_pipeline, items, progress=True)
    baseline = json.loads(BASELINE.read_text())
    failures = gate(groups["all"], baseline)
    out = ROOT / "eval" / "runs" / "latest"  # this run's report, kept beside the committed one
    write_outputs(out, groups, results,
                  report_markdown(groups, results, real_pipeline.generator.name, GOLD, baseline, failures))
    print(json.dumps(groups["all"], indent=1))
    assert len(results) == len(items)
    assert failures == [], failures
