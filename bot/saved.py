"""A conversation as JSON for the browser's storage, and back: passages by id, read again from the index (pure)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.sanitize import clean_question, clean_text
from bot.types import Answer, Chunk, Citation, Passage, Timings, Withdrawn

VERSION = 1


def dump(answers: Sequence[Answer], language: str) -> dict:
    """What the page keeps: the interface language and each answer, its passages named by chunk id only
    (ids are content hashes: they name the same passage after a rebuild of the index)."""
    return {"version": VERSION, "language": language, "answers": [_answer(a) for a in answers]}


def _answer(a: Answer) -> dict:
    return {
        "question": a.question, "language": a.language, "text": a.text, "abstained": a.abstained,
        "citations": [[c.n, c.chunk.id] for c in a.citations],
        "passages": [[p.chunk.id, p.rank, p.score, p.similarity] for p in a.passages],
        "model": a.model, "reason": a.reason, "dropped_markers": a.dropped_markers,
        "unsupported_figures": list(a.unsupported_figures),
        "withdrawn": [[w.text, w.reason, w.detail] for w in a.withdrawn],
    }


def load(data: object, chunks: Mapping[str, Chunk], limit: int) -> tuple[str | None, list[Answer]]:
    """(the interface language, the last `limit` answers) from what the page kept. The browser's storage is
    the reader's to change: anything malformed is left out, passages come from the index (an id it no
    longer holds is left out), and texts are cleaned as a question from the page is."""
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("answers"), list):
        return None, []
    language = data.get("language") if data.get("language") in ("fr", "en") else None
    answers = [a for a in (_parse(item, chunks) for item in data["answers"][-limit:] if limit > 0) if a]
    return language, answers


def _parse(item: object, chunks: Mapping[str, Chunk]) -> Answer | None:
    try:
        if not (isinstance(item, dict) and item["language"] in ("fr", "en")):
            return None
        question, text = item["question"], item["text"]
        if not (isinstance(question, str) and isinstance(text, str) and isinstance(item["abstained"], bool)):
            return None
        citations = tuple(Citation(int(n), chunks[i]) for n, i in item["citations"] if i in chunks)
        passages = tuple(Passage(chunks[i], int(rank), float(score), float(sim))
                         for i, rank, score, sim in item["passages"] if i in chunks)
        withdrawn = tuple(Withdrawn(str(t), str(r), str(d)) for t, r, d in item.get("withdrawn", []))
        return Answer(clean_question(question), item["language"], clean_text(text), item["abstained"], citations,
                      passages, Timings(), str(item.get("model", "")),
                      dropped_markers=int(item.get("dropped_markers", 0)),
                      unsupported_figures=tuple(str(f) for f in item.get("unsupported_figures", [])),
                      reason=str(item.get("reason", "")), withdrawn=withdrawn)
    except (KeyError, TypeError, ValueError):
        return None
