"""Questions to suggest, taken from the gold set: three to start a conversation, two or three after an answer."""
from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.errors import BotError
from bot.metrics import GoldItem, load_gold
from bot.normalize import fold
from bot.render import nearest_passages
from bot.types import Answer, Chunk, Language

log = logging.getLogger(__name__)

# A question that asks for a list, a table's row or several facts shows more of the report than one fact.
# Paraphrases restate other items in a reader's words, and follow-ups need the turn before them: neither
# is offered.
KINDS = ("list", "table", "multi", "fact")
MAX_CHARS = 110  # a suggestion is a button: a longer question wraps over several lines


@dataclass(frozen=True)
class Suggestion:
    """A gold question the report answers, and the passages holding its evidence."""

    id: str
    question: str
    language: Language
    kind: str
    evidence: tuple[str, ...]
    chunks: tuple[str, ...]  # ids of the passages holding its evidence, in reading order
    order: int  # the gold file's order


@dataclass(frozen=True)
class Layout:
    """Where each passage sits: its place in reading order and its section's."""

    position: dict[str, int]  # chunk id -> index in reading order
    section: dict[str, tuple[str, str]]  # chunk id -> (source, section)
    rank: dict[tuple[str, str], int]  # (source, section) -> index of the section in reading order

    @classmethod
    def of(cls, chunks: Sequence[Chunk]) -> "Layout":
        section = {c.id: (c.source, c.section) for c in chunks}
        rank: dict[tuple[str, str], int] = {}
        for c in chunks:
            rank.setdefault((c.source, c.section), len(rank))
        return cls({c.id: i for i, c in enumerate(chunks)}, section, rank)


def pool(items: Iterable[GoldItem], correct: set[str], chunks: Sequence[Chunk]) -> tuple[Suggestion, ...]:
    """The gold questions a reader may be offered: answerable, asked on their own (no history), not
    adversarial (those tempt a wrong figure or name on purpose), of a kind in KINDS, at most MAX_CHARS
    long, answered correctly by the last evaluation (`correct`), and whose every evidence string lies in
    a passage of the index that does not address an assistant."""
    clean = [c for c in chunks if not c.flagged]
    folded = {c.id: fold(c.text) for c in clean}  # `holds`, with each passage folded once
    out = []
    for order, item in enumerate(items):
        if not (item.answerable and not item.history and "adversarial" not in item.tags and item.kind in KINDS
                and len(item.question) <= MAX_CHARS and item.id in correct and item.evidence):
            continue
        holding = [[c.id for c in clean if fold(e) in folded[c.id]] for e in item.evidence]
        if not all(holding):
            continue
        ids = tuple(c.id for c in clean if any(c.id in h for h in holding))
        language = "en" if (item.language or item.lang) == "en" else "fr"
        out.append(Suggestion(item.id, item.question, language, item.kind, item.evidence, ids, order))
    return tuple(out)


def _broad_first(s: Suggestion) -> tuple:
    return (s.kind == "fact", len(s.question), s.order)


def starters(suggestions: Sequence[Suggestion], layout: Layout, language: Language, n: int = 3) -> list[Suggestion]:
    """The rule: of the questions in `language`, each section's best one (a list, table or multi-fact
    question before a single fact, then the shorter, then the gold file's order), the section being the
    one of its first evidence passage; then `n` of those sections spread evenly over the report: the first
    one, the last one and as evenly as can be between them."""
    best: dict[int, Suggestion] = {}
    for s in sorted((s for s in suggestions if s.language == language), key=_broad_first):
        best.setdefault(layout.rank[layout.section[s.chunks[0]]], s)
    ranked = [best[k] for k in sorted(best)]
    if len(ranked) <= n:
        return ranked
    picks = sorted({round(i * (len(ranked) - 1) / (n - 1)) for i in range(n)}) if n > 1 else [0]
    return [ranked[i] for i in picks]


def follow_ups(suggestions: Sequence[Suggestion], layout: Layout, answer: Answer, asked: Iterable[str],
               n: int = 3, least: int = 2) -> list[Suggestion]:
    """Up to `n` questions in the answer's language whose evidence lies in a passage the answer cited
    (for a refusal: the passages that came nearest), then in another passage of the same section; a
    question already asked in the conversation is never offered. Should that give fewer than `least`,
    the nearest sections before and after fill in. Two questions resting on the same evidence are not
    both offered."""
    cited = [c.chunk.id for c in answer.citations] or [p.chunk.id for p in nearest_passages(answer)]
    cited = [i for i in cited if i in layout.section]
    if not cited:
        return []
    sections = {layout.section[i] for i in cited}
    around = [layout.rank[s] for s in sections]
    done = {fold(q) for q in asked} | {fold(answer.question)}

    def tier(s: Suggestion) -> int:
        if set(s.chunks) & set(cited):
            return 0
        if any(layout.section[i] in sections for i in s.chunks):
            return 1
        return 1 + min(abs(layout.rank[layout.section[i]] - r) for i in s.chunks for r in around)

    ranked = sorted(((tier(s), layout.position[s.chunks[0]], s.order, s) for s in suggestions
                     if s.language == answer.language and fold(s.question) not in done),
                    key=lambda t: t[:3])
    chosen: list[Suggestion] = []
    for level, _, _, s in ranked:
        if len(chosen) == n or (level > 1 and len(chosen) >= least):
            break
        if not any(set(s.evidence) & set(c.evidence) for c in chosen):
            chosen.append(s)
    return chosen


def correct_ids(path: Path) -> set[str]:
    """The ids of the items a previous evaluation (its results.json) answered correctly."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {item["id"] for item in data["items"] if item.get("correct") is True}


def load_pool(gold: Path, results: Path, chunks: Sequence[Chunk]) -> tuple[Suggestion, ...]:
    """The suggestions of `pool` from the gold file and the last evaluation's results. Without either
    file (or with one unreadable) there is nothing to suggest: the page works without suggestions."""
    if not (gold.is_file() and results.is_file()):
        return ()
    try:
        return pool(load_gold(gold), correct_ids(results), chunks)
    except (BotError, ValueError, KeyError, TypeError) as exc:
        log.warning("No suggested questions: %s or %s is unreadable (%s).", gold, results, exc)
        return ()
