"""Embedder protocol and its sentence-transformers implementation (EmbeddingGemma)."""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

QUERY_PROMPT = "task: search result | query: "
DOCUMENT_PROMPT = "title: none | text: "


class Embedder(Protocol):
    id: str  # names the model and its checksum: an index built by another embedder is stale
    dim: int

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """Loads once; returns L2-normalised float32 rows so inner product is cosine similarity."""

    def __init__(self, folder: Path, model_id: str, bf16: bool = True, threads: int | None = None):
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        kwargs = {"model_kwargs": {"dtype": torch.bfloat16}} if bf16 else {}
        self._model = SentenceTransformer(str(folder), device="cpu", local_files_only=True, **kwargs)
        self.id = model_id
        self.dim = int(self._model.get_embedding_dimension())

    def _encode(self, texts: list[str], prompt: str) -> np.ndarray:
        vectors = self._model.encode(
            texts, prompt=prompt, batch_size=8, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, DOCUMENT_PROMPT)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, QUERY_PROMPT)
