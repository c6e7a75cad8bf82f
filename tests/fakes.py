"""Honest stand-ins for the models in fast unit tests: same interfaces, deterministic behaviour."""
from __future__ import annotations

import hashlib
from collections.abc import Iterator

import numpy as np

from bot.normalize import fold


class HashEmbedder:
    """Bag-of-words vectors from hash-seeded word directions: texts sharing words are similar."""

    id = "hash-embedder@test"
    dim = 64

    def _vector(self, text: str) -> np.ndarray:
        total = np.zeros(self.dim, dtype=np.float32)
        for word in fold(text).split():
            seed = int.from_bytes(hashlib.sha256(word.strip(".,;:!?()«»\"'").encode()).digest()[:4], "little")
            total += np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
        norm = np.linalg.norm(total)
        return total / norm if norm else total

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.embed_documents(texts)


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
