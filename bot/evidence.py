"""The passages shown for one answer, embedded once when a check first needs them: how close an answer's
sentence is to each passage, and to each of the passages' sentences."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.chunk import sentences_of
from bot.embed import Embedder
from bot.types import Passage


@dataclass(frozen=True)
class Scored:
    score: float
    n: int  # the passage's number in the answer, 1-based
    sentence: str  # one sentence of that passage


class SentenceVectors:
    """The document vectors of passage sentences, kept from one question to the next (the report's sentences
    recur). Each sentence is embedded alone, so its vector is the same whatever was asked before it. The
    least recently used are dropped past `size`; safe to share between threads."""

    def __init__(self, embedder: Embedder, size: int = 8192):
        self._embedder = embedder
        self._size = size
        self._kept: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        rows = []
        for text in texts:
            with self._lock:
                vector = self._kept.get(text)
                if vector is not None:
                    self._kept.move_to_end(text)
            if vector is None:
                vector = self._embedder.embed_documents([text])[0]
                with self._lock:
                    self._kept[text] = vector
                    while len(self._kept) > self._size:
                        self._kept.popitem(last=False)
            rows.append(vector)
        return np.stack(rows) if rows else np.zeros((0, self._embedder.dim), np.float32)

    def __len__(self) -> int:
        return len(self._kept)


class Evidence:
    def __init__(self, embedder: Embedder, passages: Sequence[Passage],
                 passage_vectors: Callable[[], np.ndarray], renderings: Sequence[str | None] = (),
                 sentence_vectors: Callable[[Sequence[str]], np.ndarray] | None = None):
        """`renderings`: per passage, the text the model read instead of it (its English rendering) or
        None; its sentences count as the passage's too. `sentence_vectors`: where the sentences' vectors
        are kept between questions (`SentenceVectors`), else they are embedded now."""
        self._embedder = embedder
        self._passage_vectors = passage_vectors
        self._sentence_vectors = embedder.embed_documents if sentence_vectors is None else sentence_vectors
        self.sentences = [(n, s) for n, p in enumerate(passages, 1) for s in sentences_of(p.chunk.text)]
        self.sentences += [(n, s) for n, text in enumerate(renderings, 1) if text for s in sentences_of(text)]
        # Each passage's row label when it is a table row ('Zone : Hainan Boao Lecheng'): what each of its
        # cells is said of
        self.heads = [p.chunk.text.partition("\n")[0] if p.chunk.kind == "table_row" else "" for p in passages]
        # Each passage's words, in the report's language and in the one the model read
        self.texts = [p.chunk.text + "\n" + ((renderings[i] if i < len(renderings) else None) or "")
                      for i, p in enumerate(passages)]
        self._wholes: np.ndarray | None = None
        self._parts: np.ndarray | None = None

    def _vectors(self) -> tuple[np.ndarray, np.ndarray]:
        if self._wholes is None:
            self._wholes = self._passage_vectors()
            self._parts = self._sentence_vectors([s for _, s in self.sentences])
        return self._wholes, self._parts

    def passage_scores(self, sentences: list[str]) -> list[list[float]]:
        """Per answer sentence, its closeness to each passage: to the whole passage or to its closest
        sentence, whichever is higher (a sentence copied or translated from the passage scores high on
        the second, a summary of it on the first)."""
        wholes, parts = self._vectors()
        queries = self._embedder.embed_queries(sentences)
        scores = queries @ wholes.T
        by_part = queries @ parts.T
        for j in range(scores.shape[1]):
            mine = [i for i, (n, _) in enumerate(self.sentences) if n == j + 1]
            if mine:
                scores[:, j] = np.maximum(scores[:, j], by_part[:, mine].max(axis=1))
        return scores.tolist()

    def sentence_scores(self, text: str) -> list[Scored]:
        """Every passage sentence with its closeness to `text`, closest first."""
        _, parts = self._vectors()
        scores = (self._embedder.embed_queries([text]) @ parts.T)[0]
        return sorted((Scored(float(score), n, s) for score, (n, s) in zip(scores, self.sentences)),
                      key=lambda x: -x.score)
