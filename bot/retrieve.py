"""Question -> ranked Passages: dense (FAISS) and BM25, fused by reciprocal rank."""
from __future__ import annotations

from collections.abc import Sequence

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_FRENCH

from bot.binding import mentions_name
from bot.embed import Embedder
from bot.index import Index
from bot.normalize import fold
from bot.types import Chunk, Passage
from bot.vectors import FLAT, POOL, kind_of

_STOPWORDS = sorted({fold(w) for w in STOPWORDS_FRENCH + STOPWORDS_EN} | {"ia", "ai", "chine", "china", "sante"})


class Retriever:
    """Ranks every chunk of the index for a query; `mode` is hybrid, dense or bm25."""

    def __init__(self, index: Index, embedder: Embedder, mode: str = "hybrid", rrf_k: int = 60):
        self.index = index
        self.embedder = embedder
        self.mode = mode
        self.rrf_k = rrf_k
        self._row = {c.id: i for i, c in enumerate(index.chunks)}
        self._stemmer = Stemmer.Stemmer("french")
        self._bm25 = bm25s.BM25()
        self._bm25.index(self._tokens([c.embed_text for c in index.chunks]), show_progress=False)

    def _tokens(self, texts: list[str]) -> bm25s.tokenization.Tokenized | list[list[str]]:
        return bm25s.tokenize([fold(t) for t in texts], stopwords=_STOPWORDS, stemmer=self._stemmer,
                              show_progress=False, return_ids=False)

    def similarities(self, query: str, rows: Sequence[int] = ()) -> np.ndarray:
        """Cosine of the query with every chunk, in chunk order. An approximate index (a large library)
        gives only its POOL nearest chunks and the exact cosine of `rows`; the others count as unrelated (-1)."""
        vector = self.embedder.embed_queries([query])
        n = len(self.index.chunks)
        exact = kind_of(self.index.vectors) == FLAT
        scores, ids = self.index.vectors.search(vector, n if exact else min(n, POOL))
        out = np.full(n, -1.0, dtype=np.float32)
        found = ids[0] >= 0
        out[ids[0][found]] = scores[0][found]
        if rows and not exact:
            out[list(rows)] = np.stack([self.index.vectors.reconstruct(int(i)) for i in rows]) @ vector[0]
        return out

    def vectors(self, chunks: list[Chunk]) -> np.ndarray:
        """The stored embeddings of these chunks, one row each (none: focus may keep no passage)."""
        if not chunks:
            return np.zeros((0, self.index.vectors.d), dtype=np.float32)
        return np.stack([self.index.vectors.reconstruct(self._row[c.id]) for c in chunks])

    def bm25_scores(self, query: str) -> np.ndarray:
        tokens = self._tokens([query])[0]
        known = [t for t in tokens if t in self._bm25.vocab_dict]
        if not known:
            return np.zeros(len(self.index.chunks), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def search(self, query: str | list[str], k: int, names: Sequence[str] = ()) -> list[Passage]:
        """Top-k passages. Several queries (a follow-up with its context, then alone) take turns:
        each query's best passages are interleaved, so neither reading of the question is lost.
        Passages naming one of `names` (a company, zone or law the question asks about) come first:
        a question about a company is answered from every passage that names it."""
        queries = [query] if isinstance(query, str) else query
        rankings, best = [], np.full(len(self.index.chunks), -1.0, dtype=np.float32)
        named = [i for i, c in enumerate(self.index.chunks) if any(mentions_name(n, c.embed_text) for n in names)]
        for q in queries:
            dense = self.similarities(q, named)
            best = np.maximum(best, dense)
            rankings.append(self.rank(dense, self.bm25_scores(q) if self.mode != "dense" else None))
        chosen: dict[int, float] = {}
        if names:
            for i in sorted(named, key=lambda i: -best[i])[:k]:
                chosen[i] = float(best[i])
        for position in range(len(self.index.chunks)):
            for ranking in rankings:
                i, score = ranking[position]
                chosen.setdefault(i, score)
            if len(chosen) >= k:
                break
        chunks: tuple[Chunk, ...] = self.index.chunks
        return [Passage(chunks[i], rank, score, float(best[i]))
                for rank, (i, score) in enumerate(list(chosen.items())[:k], 1)]

    def rank(self, dense: np.ndarray, lexical: np.ndarray | None) -> list[tuple[int, float]]:
        if self.mode == "dense" or lexical is None:
            order = np.argsort(-dense, kind="stable")
            return [(int(i), float(dense[i])) for i in order]
        if self.mode == "bm25":
            order = np.argsort(-lexical, kind="stable")
            return [(int(i), float(lexical[i])) for i in order]
        fused = np.zeros_like(dense)
        for scores, weight in ((dense, 1.0), (lexical, 1.0)):
            order = np.argsort(-scores, kind="stable")
            ranks = np.empty_like(order)
            ranks[order] = np.arange(1, len(order) + 1)
            contributes = scores > 0  # a chunk with no shared word gets nothing from BM25
            fused += np.where(contributes, weight / (self.rrf_k + ranks), 0.0)
        order = np.argsort(-fused, kind="stable")
        return [(int(i), float(fused[i])) for i in order]


def whole_table(passages: Sequence[Passage], chunks: Sequence[Chunk], k: int) -> tuple[Passage, ...] | None:
    """For an overview question: when the passages reach a table (one of its rows, or the text just
    before it), the table's lead and its rows (at most k), in the report's order; None when no table
    is reached. Rows answer "what are the barriers and how to overcome them" row by row."""
    position = {c.id: i for i, c in enumerate(chunks)}
    for passage in passages:
        i = position.get(passage.chunk.id)
        if i is None:
            continue
        if chunks[i].kind != "table_row" and i + 1 < len(chunks) and chunks[i + 1].kind == "table_row":
            i += 1  # the text that introduces the table
        if chunks[i].kind != "table_row":
            continue
        first = i
        while first > 0 and chunks[first - 1].kind == "table_row" and chunks[first - 1].section == chunks[i].section:
            first -= 1
        last = i
        while last + 1 < len(chunks) and chunks[last + 1].kind == "table_row" \
                and chunks[last + 1].section == chunks[i].section:
            last += 1
        if last == first:
            return None
        lead = [chunks[first - 1]] if first > 0 and chunks[first - 1].kind != "table_row" else []
        picked = (lead + list(chunks[first:last + 1]))[:k]
        best = {p.chunk.id: p for p in passages}
        return tuple(Passage(c, n, best[c.id].score if c.id in best else 0.0,
                             best[c.id].similarity if c.id in best else passage.similarity)
                     for n, c in enumerate(picked, 1) if not c.flagged)
    return None


def focus(passages: Sequence[Passage], table_margin: float) -> tuple[Passage, ...]:
    """The passages the model sees: never a flagged one (text addressed to an assistant is quoted to
    the reader, not given to the model); a table row that clearly leads the rest is shown alone."""
    clean = [p for p in passages if not p.chunk.flagged]
    if len(clean) > 1 and clean[0].chunk.kind == "table_row" \
            and clean[0].similarity - clean[1].similarity >= table_margin:
        return tuple(clean[:1])
    return tuple(clean)


def read_by_model(passages: Sequence[Passage], margin: float, least: int = 2) -> tuple[Passage, ...]:
    """The passages the model reads: the first `least`, then on to the last one whose similarity is within
    `margin` of the closest passage's. A leading prefix, so that [n] keeps its number; what is left out is
    far from the question (passages holding an answer rank close to the first) and costs reading time."""
    if not passages:
        return ()
    best = max(p.similarity for p in passages)
    last = max([least, *(n for n, p in enumerate(passages, 1) if p.similarity >= best - margin)])
    return tuple(passages[:last])
