"""A long run of questions through one pipeline: memory stays bounded and answers do not drift."""
from __future__ import annotations

import resource
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.metrics import load_gold
from bot.pipeline import Pipeline
from bot.types import Answer


@dataclass(frozen=True)
class Checkpoint:
    questions: int  # asked so far
    peak_rss_mb: float  # highest resident memory of the process so far
    rss_mb: float  # resident memory now
    changed: int  # answers so far that differ from the first answer to the same question

    def line(self, total: int) -> str:
        return (f"soak {self.questions}/{total} questions: peak RSS {self.peak_rss_mb:.0f} MB, "
                f"RSS {self.rss_mb:.0f} MB, answers changed {self.changed}")


@dataclass(frozen=True)
class SoakResult:
    checkpoints: tuple[Checkpoint, ...]
    changed: tuple[str, ...]  # the questions whose later answer differed from their first one
    max_growth_mb: float  # the bound on peak RSS growth after the first checkpoint

    @property
    def growth_mb(self) -> float:
        """Memory growth from the first checkpoint to the last, peak or current, whichever is larger.
        Every distinct question has been asked by the first checkpoint, so what is allocated for good
        (caches per input shape, buffers) is already counted there; a leak keeps growing after it."""
        first, final = self.checkpoints[0], self.checkpoints[-1]
        return max(final.peak_rss_mb - first.peak_rss_mb, final.rss_mb - first.rss_mb)

    @property
    def ok(self) -> bool:
        return not self.changed and self.growth_mb <= self.max_growth_mb

    def summary(self) -> str:
        verdict = "ok" if self.ok else "FAILED"
        return (f"soak {verdict}: {self.checkpoints[-1].questions} questions, memory growth "
                f"{self.growth_mb:.1f} MB (at most {self.max_growth_mb:g}), answers changed {len(self.changed)}")


def soak_questions(gold: Path, distinct: int) -> list[str]:
    """The first `distinct` questions of the gold set that need no conversation."""
    return [item.question for item in load_gold(gold) if not item.history][:distinct]


def fingerprint(answer: Answer) -> tuple:
    """What must not change when the same question is asked again: the passages found, the text, the
    refusal and its reason, the sources cited."""
    return (tuple(p.chunk.id for p in answer.passages), answer.text, answer.abstained, answer.reason,
            tuple((c.n, c.chunk.id) for c in answer.citations))


def memory_mb() -> tuple[float, float]:
    """(peak, current) resident memory of this process, in MB (Linux: ru_maxrss is in KB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        current = pages * resource.getpagesize() / 2**20
    except (OSError, IndexError, ValueError):  # no /proc: the peak is the best figure there is
        current = peak
    return peak, current


def run_soak(pipeline: Pipeline, questions: Sequence[str], n: int, every: int = 50,
             max_growth_mb: float = 64.0, report: Callable[[str], None] = print) -> SoakResult:
    """Ask n questions in a row, cycling through `questions`; the first answer to each is its
    reference (asked before any repeat), and every later answer must be identical to it. Reports a
    checkpoint line every `every` questions and after the last; `every` should be at least the number
    of distinct questions, so that growth is measured from a point where each has been asked."""
    references: dict[str, tuple] = {}
    changed: list[str] = []
    checkpoints: list[Checkpoint] = []
    for i in range(n):
        question = questions[i % len(questions)]
        seen = fingerprint(pipeline.answer(question))
        if references.setdefault(question, seen) != seen:
            changed.append(question)
        if (i + 1) % every == 0 or i + 1 == n:
            checkpoints.append(Checkpoint(i + 1, *memory_mb(), len(changed)))
            report(checkpoints[-1].line(n))
    result = SoakResult(tuple(checkpoints), tuple(changed), max_growth_mb)
    report(result.summary())
    return result
