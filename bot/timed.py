"""A generator that times each generation as the pipeline consumes it (for the benchmark)."""
from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Protocol

from bot.generate import Generation


class Measurable(Protocol):
    """A generator that can say how long a prompt is and how many tokens a text makes (LlamaGenerator)."""

    name: str

    def stream(self, messages: list[dict[str, str]], max_tokens: int) -> Iterator[str]: ...

    def prompt_size(self, messages: list[dict[str, str]]) -> tuple[int, int]: ...

    def count_tokens(self, text: str) -> int: ...


class TimedGenerator:
    """Streams what the wrapped generator streams, and records a Generation per call.

    The clock stops when the pipeline asks for the next piece, not when llama.cpp makes it: what the
    pipeline does between two pieces is in the decode time, so the rate is the product's, not the
    library's."""

    def __init__(self, inner: Measurable):
        self.inner = inner
        self.name = inner.name
        self.generations: list[Generation] = []
        self.prompts: list[list[dict[str, str]]] = []  # the messages of each generation, in order

    def stream(self, messages: list[dict[str, str]], max_tokens: int) -> Iterator[str]:
        prompt_tokens, read_tokens = self.inner.prompt_size(messages)  # before the clock: the cache as found
        pieces: list[str] = []
        start = time.perf_counter()
        first = last = start
        try:
            for piece in self.inner.stream(messages, max_tokens):
                last = time.perf_counter()
                first = last if not pieces else first
                pieces.append(piece)
                yield piece
        finally:  # also when the pipeline stops reading (a refusal marker): what was made is counted
            text = "".join(pieces)
            tokens = self.inner.count_tokens(text) if text else 0
            self.generations.append(Generation(text, prompt_tokens, read_tokens, first - start, tokens, last - first))
            self.prompts.append([dict(m) for m in messages])
