"""The FAISS vector index: exact for a few reports, approximate (HNSW) past a size; and its measured recall."""
from __future__ import annotations

import faiss
import numpy as np

FLAT = "flat"  # exact inner product: every chunk compared, the reference
HNSW = "hnsw"  # approximate: a graph walk, for a library too large to compare with every chunk
# M=32, efSearch=128: recall@10 0.99 on 20,000 random unit vectors of 64 dimensions (tests/test_vectors.py),
# where 16/64 gave 0.76 and 32/96 gave 0.94.
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 100
HNSW_EF_SEARCH = 128
POOL = 200  # an approximate index is asked for this many nearest chunks; the others count as unrelated


def vector_index(vectors: np.ndarray, kind: str = FLAT) -> faiss.Index:
    """Inner-product index over L2-normalised rows (inner product = cosine)."""
    dim = vectors.shape[1]
    if kind == HNSW:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH  # saved with the index
    elif kind == FLAT:
        index = faiss.IndexFlatIP(dim)
    else:
        raise ValueError(f"unknown vector index kind {kind!r}")
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def kind_for(chunks: int, hnsw_above: int) -> str:
    return HNSW if chunks > hnsw_above else FLAT


def kind_of(index: faiss.Index) -> str:
    return FLAT if isinstance(index, faiss.IndexFlat) else HNSW


def stored_vectors(index: faiss.Index) -> np.ndarray:
    """Every vector the index holds, in row order (flat and HNSW keep them whole)."""
    return index.reconstruct_n(0, index.ntotal) if index.ntotal else np.zeros((0, index.d), np.float32)


def recall_at_k(approximate: faiss.Index, exact: faiss.Index, queries: np.ndarray, k: int = 10) -> float:
    """Share of the exact index's k nearest neighbours that the approximate index also returns."""
    k = min(k, exact.ntotal)
    _, truth = exact.search(queries, k)
    _, found = approximate.search(queries, k)
    return float(np.mean([len(set(t) & set(f)) / k for t, f in zip(truth, found)]))


def unit_rows(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return (rows / np.where(norms == 0, 1, norms)).astype(np.float32)


def sample_queries(vectors: np.ndarray, n: int = 200, seed: int = 0) -> np.ndarray:
    """Queries that lie among the data, yet are none of its rows: the mean of two random rows."""
    rng = np.random.default_rng(seed)
    pairs = rng.integers(0, len(vectors), size=(n, 2))
    return unit_rows(vectors[pairs[:, 0]] + vectors[pairs[:, 1]])


def measured_recall(vectors: np.ndarray, approximate: faiss.Index, k: int = 10) -> float:
    """recall@k of an approximate index over `vectors`, against an exact one built on the same rows."""
    return recall_at_k(approximate, vector_index(vectors, FLAT), sample_queries(vectors), k)


def synthetic_recall(n: int = 20_000, dim: int = 64, queries: int = 200, k: int = 10, seed: int = 0) -> float:
    """recall@k of the HNSW settings above on random unit vectors, against the exact index."""
    rng = np.random.default_rng(seed)
    vectors = unit_rows(rng.standard_normal((n, dim)))
    probes = unit_rows(rng.standard_normal((queries, dim)))
    return recall_at_k(vector_index(vectors, HNSW), vector_index(vectors, FLAT), probes, k)
