"""Honest stand-ins for the models in fast unit tests: same interfaces, deterministic behaviour."""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from functools import lru_cache

import numpy as np

from bot.normalize import fold


class HashEmbedder:
    """Bag-of-words vectors from hash-seeded word directions: texts sharing words are similar."""

    id = "hash-embedder@test"
    dim = 64

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return np.stack([_vector(t, self.dim) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.embed_documents(texts)


# Vectors and word directions are kept: drawing them again for the same report in every test was
# most of the fast tests' time. They are read-only, and the same whether drawn or kept.
@lru_cache(maxsize=1 << 14)
def _vector(text: str, dim: int) -> np.ndarray:
    total = np.zeros(dim, dtype=np.float32)
    for word in fold(text).split():
        total += _direction(word.strip(".,;:!?()«»\"'"), dim)
    norm = np.linalg.norm(total)
    vector = total / norm if norm else total
    vector.setflags(write=False)
    return vector


@lru_cache(maxsize=1 << 16)
def _direction(word: str, dim: int) -> np.ndarray:
    """A word's direction, seeded by its hash."""
    seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "little")
    direction = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    direction.setflags(write=False)
    return direction


class ScriptedGenerator:
    """Streams fixed replies word by word (the next one at each call, the last one repeated)
    and records the messages it was given."""

    name = "scripted"

    def __init__(self, reply: str, *more: str):
        self.replies = [reply, *more]
        self.calls: list[list[dict[str, str]]] = []

    @property
    def reply(self) -> str:
        return self.replies[0]

    @reply.setter
    def reply(self, text: str) -> None:
        self.replies = [text]

    def stream(self, messages: list[dict[str, str]], max_tokens: int) -> Iterator[str]:
        self.calls.append([dict(m) for m in messages])
        reply = self.replies[min(len(self.calls), len(self.replies)) - 1]
        for i, word in enumerate(reply.split(" ")):
            yield word if i == 0 else " " + word


class AnswerKey:
    """Answers each known question with its own reply, whatever the prompt's layout (the question is
    found in the prompt as written), one word every `delay` seconds; any other request (a translation)
    gets its text back."""

    name = "answer-key"

    def __init__(self, replies: dict[str, str], delay: float = 0.0):
        self.replies = replies
        self.delay = delay

    def stream(self, messages: list[dict[str, str]], max_tokens: int) -> Iterator[str]:
        import time

        prompt = messages[-1]["content"]
        reply = next((r for q, r in self.replies.items() if q in prompt), prompt)
        for i, word in enumerate(reply.split(" ")):
            time.sleep(self.delay)
            yield word if i == 0 else " " + word


class TimingOut(ScriptedGenerator):
    """A scripted generator that runs past its time limit on `slow` questions: like LlamaGenerator past
    its limit, it streams a first word, then ends with the TimeLimitError; other questions get the reply."""

    def __init__(self, reply: str, slow: str, seconds: float = 1.5):
        super().__init__(reply)
        self.slow, self.seconds = slow, seconds

    def stream(self, messages: list[dict[str, str]], max_tokens: int) -> Iterator[str]:
        from bot.generate import time_limit_error

        pieces = super().stream(messages, max_tokens)
        if self.slow not in messages[-1]["content"]:
            yield from pieces
            return
        yield next(pieces)
        raise time_limit_error(self.seconds)


def scripted_pipeline(settings, reply: str, **changes):
    """A pipeline over the settings' corpus, with the hash embedder and a generator scripted to `reply`."""
    from bot.index import build_index
    from bot.pipeline import Pipeline
    from bot.retrieve import Retriever

    settings = settings.with_(**changes)
    embedder = HashEmbedder()
    generator = ScriptedGenerator(reply)
    return Pipeline(settings, embedder, Retriever(build_index(settings, embedder), embedder), generator), generator
