"""Run the real pipeline on a gold file; write report.md, results.json and a chart; gate on a baseline."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

from bot.errors import BotError, TimeLimitError
from bot.lang import detect_language
from bot.metrics import TIMED_OUT, GoldItem, ItemResult, breakdown, score_item
from bot.pipeline import Pipeline
from bot.prompts import UI
from bot.types import Answer, Timings

EVAL_DIR = Path(__file__).resolve().parent.parent / "eval"
BASELINE = EVAL_DIR / "baseline.json"

# Headline metrics the gate watches: (name, higher is better, tolerance, absolute floor or ceiling).
# The tolerance catches regressions from the baseline; the floors (a ceiling for false refusals)
# catch a broken build whatever the baseline says.
# They sit under what the product measures today (eval/report.md), far under the TARGETS.
GATE = (
    ("accuracy", True, 0.04, 0.45),
    ("abstention_recall", True, 0.12, 0.35),
    ("citation_precision", True, 0.05, 0.65),
    ("recall@5", True, 0.03, 0.90),
    ("language_match", True, 0.03, 0.90),
    ("false_refusal_rate", False, 0.05, 0.25),
)
# Figures found in no cited passage: the target is zero; the gate allows no more than the baseline.
TARGETS = {"accuracy": 0.90, "recall@5": 0.95, "citation_precision": 0.95, "language_match": 0.98,
           "abstention_recall": 1.0, "false_refusal_rate": 0.05, "unsupported_figures": 0, "wrong_figures": 0}
# Counts that must not grow past the baseline: a figure in no cited passage, a wrong figure given as the answer.
COUNTS = ("unsupported_figures", "wrong_figures")


def answer_item(pipeline: Pipeline, item: GoldItem) -> Answer:
    """The pipeline's answer to a gold item. One ended by its time limit is declined with the reason
    TIMED_OUT, what the reader would be told as its text, so that the run goes on and counts it."""
    started = time.perf_counter()
    try:
        return pipeline.answer(item.question, item.history, item.language)
    except TimeLimitError as exc:
        language = "en" if item.lang == "en" else "fr"
        text = UI["time_limit"][language].format(seconds=f"{exc.seconds:g}")
        timings = Timings(total_ms=(time.perf_counter() - started) * 1000)
        return Answer(item.question, language, text, True, (), (), timings, pipeline.generator.name, reason=TIMED_OUT)


def run_items(pipeline: Pipeline, items: list[GoldItem], progress: bool = True) -> list[ItemResult]:
    results = []
    for i, item in enumerate(items, 1):
        answer = answer_item(pipeline, item)
        ranked = [p.chunk for p in pipeline.search(item.question, item.history, 10)]
        result = score_item(item, answer, ranked, detect_language(answer.text, default=answer.language))
        results.append(result)
        if progress:
            mark = "ok " if result.correct else "BAD"
            print(f"[{i}/{len(items)}] {mark} {item.id} {answer.timings.total_ms / 1000:.1f}s "
                  f"{answer.text[:90]!r}", file=sys.stderr, flush=True)
    return results


def retrieval_only(pipeline: Pipeline, items: list[GoldItem]) -> dict:
    """Recall@k and MRR without generating: enough to compare retrieval settings quickly."""
    from bot.metrics import evidence_rank

    ranks = [evidence_rank([p.chunk for p in pipeline.search(i.question, i.history, 10)], i.evidence)
             for i in items if i.answerable]
    out = {f"recall@{k}": round(sum(r is not None and r <= k for r in ranks) / len(ranks), 4) for k in (1, 3, 5, 10)}
    out["mrr"] = round(sum(1 / r for r in ranks if r) / len(ranks), 4)
    return out


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=EVAL_DIR.parent, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def gate(summary: dict, baseline: dict) -> list[str]:
    """The regressions: metrics more than their tolerance worse than the baseline, or past their floor."""
    failures = []
    base = baseline["metrics"]
    for name, higher_is_better, tolerance, floor in GATE:
        value = summary.get(name)
        if value is None:
            continue
        sign = 1 if higher_is_better else -1  # compare as "higher is better"
        side = "below" if higher_is_better else "above"
        if base.get(name) is not None and sign * value < sign * base[name] - tolerance:
            failures.append(f"{name} {value:.3f} is more than {tolerance} {side} the baseline {base[name]:.3f}")
        if sign * value < sign * floor:
            failures.append(f"{name} {value:.3f} is {'under the floor' if higher_is_better else 'over the ceiling'} "
                            f"{floor}")
    for name in COUNTS:
        if name in base and summary[name] > base[name]:
            failures.append(f"{name} {summary[name]} > baseline {base[name]}")
    return failures


def write_baseline(summary: dict, model: str, path: Path = BASELINE) -> None:
    keep = [name for name, *_ in GATE] + list(COUNTS)
    record = {"commit": git_commit(), "model": model, "written_at": time.strftime("%Y-%m-%d"),
              "metrics": {k: summary[k] for k in keep}}
    path.write_text(json.dumps(record, indent=2) + "\n")


def _fmt(value) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def chart(groups: dict[str, dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [g for g in groups if g != "all"]
    metrics = ["accuracy", "recall@5", "citation_precision", "language_match"]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / len(metrics)
    for m_i, metric in enumerate(metrics):
        values = [groups[g].get(metric) or 0 for g in names]
        ax.bar([x + m_i * width for x in range(len(names))], values, width, label=metric)
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(names))], names, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.axhline(0.9, color="grey", linestyle="--", linewidth=0.8)
    ax.legend(loc="lower left", fontsize=8)
    ax.set_title("Evaluation by language and kind")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def report_markdown(groups: dict[str, dict], results: list[ItemResult], model: str, gold: Path,
                    baseline: dict | None, failures: list[str], ablations: str = "") -> str:
    overall = groups["all"]
    cols = ["n", "accuracy", "recall@1", "recall@5", "mrr", "citation_validity", "citation_precision",
            "language_match", "abstention_recall", "false_refusal_rate", "unsupported_figures", "wrong_figures",
            "first_token_ms_p50", "total_ms_p50", "total_ms_p95"]
    lines = [
        "# Evaluation report", "",
        f"Gold file `{gold.name}`, {overall['n']} questions; generator {model}; commit {git_commit()}; "
        f"{time.strftime('%Y-%m-%d %H:%M')}. Produced by `python -m bot eval`.", "",
        "## Targets", "", "| metric | target | measured | met |", "|---|---|---|---|",
    ]
    for name, target in TARGETS.items():
        value = overall.get(name)
        lower_better = name in ("false_refusal_rate", *COUNTS)
        met = value is not None and (value <= target if lower_better else value >= target)
        lines.append(f"| {name} | {target} | {_fmt(value)} | {'yes' if met else 'no'} |")
    for lang in ("fr", "en"):
        value = groups.get(f"lang={lang}", {}).get("accuracy")
        lines.append(f"| accuracy ({lang}) | 0.9 | {_fmt(value)} | {'yes' if value and value >= 0.9 else 'no'} |")
    lines += ["", "## By language and kind", "", "| group | " + " | ".join(cols) + " |",
              "|---" * (len(cols) + 1) + "|"]
    for name, summary in groups.items():
        lines.append(f"| {name} | " + " | ".join(_fmt(summary.get(c)) for c in cols) + " |")
    lines += ["", "![chart](report.png)", "", "## Why answers were declined or sentences withdrawn", "",
              "| reason | declined | sentences withdrawn |", "|---|---|---|"]
    declined, withdrawn = overall.get("refusals_by_reason", {}), overall.get("withdrawn_by_reason", {})
    for reason in sorted(set(declined) | set(withdrawn)):
        lines.append(f"| {reason} | {declined.get(reason, 0)} | {withdrawn.get(reason, 0)} |")
    lines.append("")
    if baseline:
        lines += ["## Regression gate", "",
                  f"Baseline from commit {baseline.get('commit')} ({baseline.get('model')}, "
                  f"{baseline.get('written_at')}).", ""]
        lines += [f"- FAIL: {f}" for f in failures] or ["- pass"]
        lines.append("")
    wrong = [r for r in results if not r.correct or r.unsupported]
    lines += ["## Items answered wrongly", "", "| id | kind | question | answer | reason |", "|---|---|---|---|---|"]
    for r in wrong:
        answer = r.answer.replace("\n", " ").replace("|", "/")[:220]
        why = r.reason or ("wrong figure" if r.wrong_figure else "")
        lines.append(f"| {r.id} | {r.kind} | {r.question.replace('|', '/')} | {answer} | {why} |")
    if ablations:
        lines += ["", ablations]
    return "\n".join(lines) + "\n"


def write_outputs(out_dir: Path, groups: dict, results: list[ItemResult], markdown: str) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(
        {"summary": groups, "items": [asdict(r) for r in results]}, ensure_ascii=False, indent=1) + "\n")
    chart(groups, out_dir / "report.png")
    (out_dir / "report.md").write_text(markdown)


def load_results(path: Path) -> tuple[dict, list[ItemResult]]:
    """A previous run's results.json: its summary groups and item results."""
    if not path.is_file():
        raise BotError(f"No {path}: run `python -m bot eval` first.")
    data = json.loads(path.read_text())
    return data["summary"], [ItemResult(**item) for item in data["items"]]


def evaluate(pipeline: Pipeline, items: list[GoldItem], progress: bool = True) -> tuple[dict, list[ItemResult]]:
    results = run_items(pipeline, items, progress)
    return breakdown(results), results


def ablations(settings, items: list[GoldItem], pipeline: Pipeline, default_summary: dict,
              others: dict[str, object], progress: bool = True) -> str:
    """Markdown tables justifying the defaults: retrieval variants (recall, no generation) and
    generators (full answers). Each variant changes one setting against the default."""
    import tempfile

    from bot.runtime import load_pipeline

    default = settings
    retrieval_rows = []
    variants = [(f"default ({default.retrieval}, {default.chunk_chars} chars, headings "
                 f"{'on' if default.headings_in_embedding else 'off'})", {})]
    variants += [(f"retrieval={m}", {"retrieval": m}) for m in ("dense", "hybrid", "bm25") if m != default.retrieval]
    variants += [(f"chunk_chars={n}", {"chunk_chars": n}) for n in (500, 900, 1200) if n != default.chunk_chars]
    variants += [("headings in embedded text: " + ("off" if default.headings_in_embedding else "on"),
                  {"headings_in_embedding": not default.headings_in_embedding})]
    embedder = pipeline.embedder
    with tempfile.TemporaryDirectory() as tmp:
        for name, change in variants:
            variant = default.with_(index_dir=Path(tmp) / name.replace(" ", "_"), **change)
            variant_pipeline = load_pipeline(variant, embedder, pipeline.generator)
            retrieval_rows.append((name, retrieval_only(variant_pipeline, items)))
            if progress:
                print(f"ablation {name}: {retrieval_rows[-1][1]}", file=sys.stderr, flush=True)
        answer_rows = [(pipeline.generator.name, default_summary)]
        for label, generator in others.items():
            other = load_pipeline(default.with_(index_dir=Path(tmp) / "answers"), embedder, generator)
            groups, _ = evaluate(other, items, progress)
            answer_rows.append((label, groups["all"]))
    lines = ["## Ablations", "",
             "Retrieval (answerable gold questions; a hit is a passage holding all the evidence):", "",
             "| variant | recall@1 | recall@3 | recall@5 | recall@10 | MRR |", "|---|---|---|---|---|---|"]
    for name, r in retrieval_rows:
        lines.append(f"| {name} | {r['recall@1']:.3f} | {r['recall@3']:.3f} | {r['recall@5']:.3f} | "
                     f"{r['recall@10']:.3f} | {r['mrr']:.3f} |")
    lines += ["", f"k (passages given to the model) is read off recall@k above: the default is {default.top_k}.",
              "", "Generators (full pipeline, same retrieval):", "",
              "| generator | accuracy | citation precision | language match | abstention recall | "
              "false refusals | unsupported figures | first token p50 (ms) | total p50 (ms) |",
              "|---|---|---|---|---|---|---|---|---|"]
    for label, s in answer_rows:
        lines.append(f"| {label} | {_fmt(s['accuracy'])} | {_fmt(s['citation_precision'])} | "
                     f"{_fmt(s['language_match'])} | {_fmt(s['abstention_recall'])} | "
                     f"{_fmt(s['false_refusal_rate'])} | {s['unsupported_figures']} | "
                     f"{_fmt(s['first_token_ms_p50'])} | {_fmt(s['total_ms_p50'])} |")
    return "\n".join(lines) + "\n"
