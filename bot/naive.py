"""The benchmark's naive configuration: the product's models without its care (fixed windows, dense
top-5, one plain prompt, nothing cached between questions)."""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.chunk import chunk_id
from bot.embed import Embedder
from bot.generate import Generation
from bot.prompts import NAIVE_SYSTEM, NAIVE_USER, NOT_FOUND
from bot.types import Chunk, Document
from bot.vectors import vector_index

CHUNK_CHARS = 1000
OVERLAP = 100
TOP_K = 5

# Messages and a token budget in, a timed generation out; LlamaGenerator.generate_alone starts each
# from an empty cache, so no question reuses what the previous one computed.
Generate = Callable[[list[dict[str, str]], int], Generation]


def windows(text: str, size: int = CHUNK_CHARS, overlap: int = OVERLAP) -> list[tuple[int, str]]:
    """(start, piece): `size` characters every `size - overlap`, to the end of the text, blind to
    sentences, sections and tables."""
    if not text:
        return []
    step = size - overlap
    return [(start, text[start:start + size]) for start in range(0, max(len(text) - overlap, 1), step)]


def naive_chunks(documents: Sequence[Document]) -> list[Chunk]:
    """Each document's text, headings and table rows included, cut into windows."""
    chunks = []
    for doc in documents:
        text = "\n".join(b.text for b in doc.blocks)
        chunks += [Chunk(chunk_id(doc.source, "", piece), doc.source, "",
                         f"characters {start + 1}–{start + len(piece)}", piece) for start, piece in windows(text)]
    return chunks


def naive_messages(question: str, passages: Sequence[Chunk]) -> list[dict[str, str]]:
    body = "\n\n".join(f"[{n}] {c.text}" for n, c in enumerate(passages, 1))
    return [{"role": "system", "content": NAIVE_SYSTEM},
            {"role": "user", "content": NAIVE_USER.format(passages=body, question=question)}]


@dataclass(frozen=True)
class NaiveAnswer:
    text: str
    abstained: bool  # the model replied NOT_FOUND
    retrieve_s: float
    generation: Generation
    total_s: float  # retrieval and generation: the time to the whole answer


class NaiveRag:
    """Its chunks embedded once into an exact in-memory index (nothing is written to index/)."""

    def __init__(self, chunks: list[Chunk], embedder: Embedder, generate: Generate, max_tokens: int):
        self.chunks = chunks
        self.embedder = embedder
        self.generate = generate
        self.max_tokens = max_tokens
        self.vectors = vector_index(embedder.embed_documents([c.text for c in chunks]))

    def passages(self, question: str) -> list[Chunk]:
        _, ids = self.vectors.search(self.embedder.embed_queries([question]), min(TOP_K, len(self.chunks)))
        return [self.chunks[i] for i in ids[0] if i >= 0]

    def answer(self, question: str) -> NaiveAnswer:
        start = time.perf_counter()
        passages = self.passages(question)
        retrieved = time.perf_counter()
        generation = self.generate(naive_messages(question, passages), self.max_tokens)
        return NaiveAnswer(generation.text, NOT_FOUND in generation.text, retrieved - start, generation,
                           time.perf_counter() - start)
