"""Thumbs up/down with an optional comment, appended to a local JSONL file (one line per record)."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from bot.types import Answer


def feedback_record(answer: Answer, liked: bool, comment: str = "") -> dict:
    return {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "rating": "up" if liked else "down",
        "comment": comment.strip()[:2000],
        "question": answer.question,
        "language": answer.language,
        "answer": answer.text,
        "abstained": answer.abstained,
        "citations": [{"n": c.n, "chunk_id": c.chunk.id, "location": c.chunk.location, "text": c.chunk.text}
                      for c in answer.citations],
        "model": answer.model,
    }


def append_feedback(path: Path, record: dict) -> None:
    """One write of one whole line, flushed to disk: earlier records are never rewritten."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())
