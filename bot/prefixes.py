"""Saved prompt starts: llama.cpp's cache after the start that every question with the same first passage
shares (the system prompt and passage [1], see `prompts.lead`), kept on disk, so that a question reads
only the rest of its prompt. Computed once per passage and language (`python -m bot prefixes`, or the
first time a question needs one), then loaded instead of read again."""
from __future__ import annotations

import hashlib
import os
import sys
from array import array
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.prompts import build_messages, lead
from bot.types import Chunk, Passage

if TYPE_CHECKING:
    from bot.models import ModelSpec
    from bot.renderings import Renderings

MAGIC = b"IASB-PREFIX-1\n"


class PrefixStore:
    """One file per prompt start, named by its tokens' hash; each holds its checksum, so that a damaged
    file is found, removed and computed again rather than loaded. The folder names the model, the
    llama.cpp build and the settings the states were computed with: a state is only ever loaded by the
    generator that made it. At most `limit` files are kept: past it, the least recently used go (a
    library of many documents would otherwise fill the disk, one first passage at a time)."""

    def __init__(self, folder: Path, limit: int = 200):
        self.folder = folder
        self.limit = limit

    def _path(self, tokens: list[int]) -> Path:
        return self.folder / f"{hashlib.sha256(array('i', tokens).tobytes()).hexdigest()[:40]}.state"

    def has(self, tokens: list[int]) -> bool:
        return self._path(tokens).is_file()

    def load(self, tokens: list[int]) -> bytes | None:
        path = self._path(tokens)
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        head = len(MAGIC) + 32
        if raw[:len(MAGIC)] == MAGIC and hashlib.sha256(raw[head:]).digest() == raw[len(MAGIC):head]:
            try:
                os.utime(path)  # used now: the last to be removed
            except OSError:
                pass
            return raw[head:]
        self.drop(tokens)
        return None

    def drop(self, tokens: list[int]) -> None:
        """A damaged state, or one llama.cpp refuses: removed, so that it is computed again."""
        path = self._path(tokens)
        print(f"Saved prompt start {path} is damaged: removed, it will be computed again.", file=sys.stderr)
        path.unlink(missing_ok=True)

    def save(self, tokens: list[int], state: bytes) -> None:
        """Written whole or not at all; a full disk or a read-only folder only costs the time it saves."""
        path = self._path(tokens)
        part = path.with_suffix(f".part{os.getpid()}")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            part.write_bytes(MAGIC + hashlib.sha256(state).digest() + state)
            os.replace(part, path)
            self._prune()
        except OSError as exc:
            part.unlink(missing_ok=True)
            print(f"Could not save a prompt start in {self.folder}: {exc}", file=sys.stderr)

    def _prune(self) -> None:
        """Remove the least recently used states past the limit."""
        def used(path: Path) -> float:
            try:
                return path.stat().st_mtime
            except OSError:  # removed meanwhile by another process
                return 0.0

        states = sorted(self.folder.glob("*.state"), key=used, reverse=True)
        for path in states[self.limit:]:
            path.unlink(missing_ok=True)


def prefix_folder(cache_dir: Path, spec: ModelSpec, threads: int, context_tokens: int) -> Path:
    """Where the states of this model, run by this llama.cpp build with these settings, are kept."""
    import llama_cpp

    build = f"{llama_cpp.__version__} {llama_cpp.llama_print_system_info().decode()} {threads} {context_tokens}"
    return cache_dir / "prefixes" / f"{spec.key}-{spec.sha256[:12]}-{hashlib.sha256(build.encode()).hexdigest()[:12]}"


def every_lead(chunks: Iterable[Chunk], renderings: Renderings | None) -> list[list[dict[str, str]]]:
    """The prompt starts of every passage as first passage, in French and in English (the English one reads
    the passage's English rendering where there is one); none for a flagged passage, never given to the model."""
    leads = []
    for chunk in (c for c in chunks if not c.flagged):
        for language in ("fr", "en"):
            messages = build_messages("?", language, [Passage(chunk, 1, 0.0, 0.0)], [], turns=0, chars=0,
                                      renderings=renderings)
            leads.append(lead(messages))
    return list({repr(m): m for m in leads if m}.values())
