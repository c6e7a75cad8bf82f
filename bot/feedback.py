"""Thumbs up/down with an optional comment, appended to a local JSONL file (one line per record)."""
from __future__ import annotations

import fcntl
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
    """One whole line per record, in a single write on an append-only descriptor, flushed to disk:
    earlier records are never rewritten, and concurrent appends neither interleave nor split lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)  # read: to see how the file ends
    try:
        # Another writer's append may be half visible while it runs: wait for it before looking at the end.
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line  # a writer killed mid-line left it torn: end it, so this record stays whole
        rest = memoryview(line)[os.write(fd, line):]
        while rest:  # only after a short write (a full disk): finish the line or fail; readers skip a torn one
            rest = rest[os.write(fd, rest):]
        os.fsync(fd)
    finally:
        os.close(fd)


def read_feedback(path: Path) -> list[dict]:
    """The whole records in the file, in order; a line torn by a crash is skipped."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    records = []
    # Split on "\n" only: JSON keeps U+2028 and U+0085 raw, and str.splitlines would cut records there.
    for line in data.split(b"\n"):
        try:
            record = json.loads(line)
        except ValueError:  # empty, or torn
            continue
        if isinstance(record, dict):
            records.append(record)
    return records
