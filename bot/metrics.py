"""Deterministic evaluation metrics over gold items (no LLM judge): pure functions."""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot.binding import mentions
from bot.cite import MARKER
from bot.errors import BotError
from bot.normalize import canonical, figures, fold
from bot.types import Answer, Chunk, Turn

KINDS = ("fact", "list", "multi", "table", "paraphrase", "followup", "unanswerable")
# The reason of an item whose answer was ended by its time limit (bot.evaluate): declined, but by no
# judgement, so it is never a correct abstention.
TIMED_OUT = "time_limit"


@dataclass(frozen=True)
class GoldItem:
    id: str
    lang: str
    kind: str
    question: str
    reference: str
    facts: tuple[tuple[str, ...], ...]
    evidence: tuple[str, ...]
    history: tuple[Turn, ...] = ()
    tags: tuple[str, ...] = ()  # "adversarial": a tempting answer is a figure or name attached to something else
    language: str | None = None  # the reader's language when the question is too short to carry one

    @property
    def answerable(self) -> bool:
        return self.kind != "unanswerable"


def load_gold(path: Path) -> list[GoldItem]:
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            items.append(GoldItem(
                id=raw["id"], lang=raw["lang"], kind=raw["kind"], question=raw["question"],
                reference=raw.get("reference", ""),
                facts=tuple(tuple(group) for group in raw.get("facts", [])),
                evidence=tuple(raw.get("evidence", [])),
                history=tuple(Turn(t["role"], t["content"]) for t in raw.get("history", [])),
                tags=tuple(raw.get("tags", [])), language=raw.get("language"),
            ))
        except (ValueError, KeyError, TypeError) as exc:
            raise BotError(f"{path}:{number}: not a gold item ({exc}).") from None
    return items


def holds(chunk_text: str, evidence: str) -> bool:
    return fold(evidence) in fold(chunk_text)


def evidence_rank(ranked: list[Chunk], evidence: tuple[str, ...]) -> int | None:
    """1-based rank at which every evidence string has been seen; None if never."""
    missing = set(evidence)
    for rank, chunk in enumerate(ranked, 1):
        missing -= {e for e in missing if holds(chunk.text, e)}
        if not missing:
            return rank
    return None


def facts_present(text: str, facts: tuple[tuple[str, ...], ...]) -> bool:
    answer = canonical(MARKER.sub("", text))
    return all(any(canonical(alt) in answer for alt in group) for group in facts)


def unsupported_figures(answer: Answer) -> list[str]:
    """Figures of the answer found in none of the passages it cites."""
    if answer.abstained:
        return []
    cited = set().union(*(figures(c.chunk.text) for c in answer.citations)) if answer.citations else set()
    text = re.sub(r"^\s*(?:\d{1,2}[.)]|[-*•])\s+", "", MARKER.sub("", answer.text), flags=re.M)
    return [f for f in figures(text) if f not in cited]


@dataclass
class ItemResult:
    id: str
    lang: str
    kind: str
    question: str
    answer: str
    abstained: bool
    correct: bool
    evidence_rank: int | None
    cited: int
    cited_with_evidence: int
    dropped_markers: int
    language_ok: bool
    unsupported: list[str] = field(default_factory=list)
    first_token_ms: float = 0.0
    total_ms: float = 0.0
    answerable: bool = True
    reason: str = ""  # why it was declined
    withdrawn: list[str] = field(default_factory=list)  # reasons of the sentences taken out
    wrong_figure: bool = False  # answered with a figure that is neither right nor in the evidence
    tags: list[str] = field(default_factory=list)


def wrong_figure(item: GoldItem, answer: Answer, correct: bool) -> bool:
    """A wrong answer that states a figure (not a year, nor a label such as "tier-2") found neither in the
    reference nor in the evidence: a figure the report attaches to something else, given as the answer."""
    if answer.abstained or correct:
        return False
    known = set(figures(item.reference + " " + " ".join(item.evidence)))
    text = re.sub(r"^\s*(?:\d{1,2}[.)]|[-*•])\s+", "", MARKER.sub("", answer.text), flags=re.M)
    labels = {m.value for m in mentions(text) if m.unit == "label"}
    return any(f not in known and f not in labels and not re.fullmatch(r"(?:19|20)\d{2}", f) for f in figures(text))


def score_item(item: GoldItem, answer: Answer, ranked: list[Chunk], answer_language: str) -> ItemResult:
    if item.answerable:
        correct = not answer.abstained and facts_present(answer.text, item.facts)
    else:
        correct = answer.abstained and answer.reason != TIMED_OUT
    cited_with_evidence = sum(any(holds(c.chunk.text, e) for e in item.evidence) for c in answer.citations)
    return ItemResult(
        id=item.id, lang=item.lang, kind=item.kind, question=item.question, answer=answer.text,
        abstained=answer.abstained, correct=correct,
        evidence_rank=evidence_rank(ranked, item.evidence) if item.answerable else None,
        cited=len(answer.citations), cited_with_evidence=cited_with_evidence,
        dropped_markers=answer.dropped_markers, language_ok=answer_language == item.lang,
        unsupported=unsupported_figures(answer), first_token_ms=answer.timings.first_token_ms,
        total_ms=answer.timings.total_ms, answerable=item.answerable, reason=answer.reason,
        withdrawn=[w.reason for w in answer.withdrawn], wrong_figure=wrong_figure(item, answer, correct),
        tags=list(item.tags),
    )


def _ratio(num: float, den: float) -> float | None:
    return round(num / den, 4) if den else None


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))], 1)


def summarize(results: list[ItemResult]) -> dict:
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    answered = [r for r in answerable if not r.abstained]
    summary = {"n": len(results)}
    for k in (1, 3, 5, 10):
        summary[f"recall@{k}"] = _ratio(sum(r.evidence_rank is not None and r.evidence_rank <= k
                                            for r in answerable), len(answerable))
    summary["mrr"] = _ratio(sum(1 / r.evidence_rank for r in answerable if r.evidence_rank), len(answerable))
    summary["accuracy"] = _ratio(sum(r.correct for r in answerable), len(answerable))
    summary["overall_accuracy"] = _ratio(sum(r.correct for r in results), len(results))
    summary["citation_validity"] = _ratio(sum(r.dropped_markers == 0 for r in answered), len(answered))
    summary["citation_precision"] = _ratio(sum(r.cited_with_evidence for r in answered),
                                           sum(r.cited for r in answered))
    summary["language_match"] = _ratio(sum(r.language_ok for r in results), len(results))
    summary["abstention_recall"] = _ratio(sum(r.abstained and r.reason != TIMED_OUT for r in unanswerable),
                                          len(unanswerable))
    summary["false_refusal_rate"] = _ratio(sum(r.abstained for r in answerable), len(answerable))
    summary["unsupported_figures"] = sum(len(r.unsupported) for r in results)
    summary["wrong_figures"] = sum(r.wrong_figure for r in results)
    summary["refusals_by_reason"] = dict(sorted(Counter(r.reason or "?" for r in results if r.abstained).items()))
    summary["withdrawn_by_reason"] = dict(sorted(Counter(w for r in results for w in r.withdrawn).items()))
    generated = [r for r in results if r.first_token_ms > 0]
    summary["first_token_ms_p50"] = _percentile([r.first_token_ms for r in generated], 0.5)
    summary["first_token_ms_p95"] = _percentile([r.first_token_ms for r in generated], 0.95)
    summary["total_ms_p50"] = _percentile([r.total_ms for r in results], 0.5)
    summary["total_ms_p95"] = _percentile([r.total_ms for r in results], 0.95)
    return summary


def breakdown(results: list[ItemResult]) -> dict[str, dict]:
    """The summary overall, per language and per kind."""
    groups = {"all": results}
    for lang in sorted({r.lang for r in results}):
        groups[f"lang={lang}"] = [r for r in results if r.lang == lang]
    for kind in KINDS:
        chosen = [r for r in results if r.kind == kind]
        if chosen:
            groups[f"kind={kind}"] = chosen
    adversarial = [r for r in results if "adversarial" in r.tags]
    if adversarial:
        groups["adversarial"] = adversarial
    return {name: summarize(items) for name, items in groups.items()}
