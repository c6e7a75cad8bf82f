"""The vector index at synthetic library sizes: build time, memory, one-query latency and recall@10, per kind."""
from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

import faiss
import numpy as np

from bot.errors import InputError
from bot.vectors import FLAT, HNSW, kind_for, recall_at_k, unit_rows, vector_index

DIM = 768  # EmbeddingGemma's vectors
K = 10
QUERIES = 200
SEED = 0
# A query is a stored vector plus noise of half its length, normalised: cosine 0.89 with its source,
# while a random other vector sits near 0 and the next nine nearest near 0.12.
NOISE = 0.5
BUDGET_S = 900.0  # an approximate index whose build would take longer than this is not built
BLOCK = 100_000  # rows generated at a time: 1e6 rows stay one 3 GB array, without temporary copies


@dataclass(frozen=True)
class Figures:
    """One index kind at one size; `skipped` says why a kind was not built (and the figures are None)."""

    chunks: int
    kind: str
    used: bool  # the kind the product picks at this size (BOT_HNSW_ABOVE)
    build_s: float | None = None
    build_cpu_s: float | None = None  # CPU seconds of this process: what the build costs, whatever else runs
    memory_mb: float | None = None  # the vectors and, for HNSW, its graph (what dense.faiss holds)
    p50_ms: float | None = None  # one query, k=10
    p95_ms: float | None = None
    recall_at_10: float | None = None  # against the exact (flat) index
    source_at_1: float | None = None  # share of queries whose first hit is the vector they were made from
    skipped: str = ""


@dataclass(frozen=True)
class ScaleRun:
    figures: tuple[Figures, ...]
    dim: int
    queries: int
    seed: int
    cores: int
    faiss_threads: int
    load_average: float  # over the minute before the run: other work on the same cores slows every figure

    def to_json(self) -> dict:
        return asdict(self)


def synthetic_vectors(n: int, dim: int = DIM, seed: int = SEED) -> np.ndarray:
    """`n` random unit rows, made block by block so that the only large array is the result."""
    rng = np.random.default_rng(seed)
    rows = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, BLOCK):
        block = rng.standard_normal((min(BLOCK, n - start), dim), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        rows[start:start + len(block)] = block
    return rows


def perturbed_queries(vectors: np.ndarray, n: int = QUERIES, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Queries near stored vectors, none of them a stored vector; and the row each was made from."""
    rng = np.random.default_rng(seed + 1)
    sources = rng.choice(len(vectors), size=min(n, len(vectors)), replace=False)
    noise = unit_rows(rng.standard_normal((len(sources), vectors.shape[1])))
    return unit_rows(vectors[sources] + NOISE * noise), sources


def index_mb(index: faiss.Index) -> float:
    """Bytes held by a flat or HNSW index: its vectors, and the HNSW graph's links and levels."""
    if isinstance(index, faiss.IndexFlat):
        return index.ntotal * index.code_size / 1e6
    graph = index.hnsw
    links = graph.neighbors.size() * 4 + graph.offsets.size() * 8 + graph.levels.size() * 4
    return (index.ntotal * index.storage.sa_code_size() + links) / 1e6


def estimated_build_s(done_chunks: int, done_s: float, chunks: int) -> float:
    """A lower bound: an HNSW insertion walks a graph of depth log n (measured growth is steeper)."""
    return done_s * chunks / done_chunks * math.log(chunks) / math.log(done_chunks)


def _timed_build(vectors: np.ndarray, kind: str) -> tuple[faiss.Index, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    index = vector_index(vectors, kind)
    return index, time.perf_counter() - wall, time.process_time() - cpu


def _latencies_ms(index: faiss.Index, queries: np.ndarray) -> np.ndarray:
    index.search(queries[:1], K)  # the first search pages the index in
    times = []
    for row in range(len(queries)):
        start = time.perf_counter()
        index.search(queries[row:row + 1], K)
        times.append((time.perf_counter() - start) * 1000)
    return np.array(times)


def _measure(index: faiss.Index, exact: faiss.Index, queries: np.ndarray, sources: np.ndarray,
             chunks: int, kind: str, used: bool, build_s: float, build_cpu_s: float) -> Figures:
    times = _latencies_ms(index, queries)
    _, first = index.search(queries, 1)
    return Figures(chunks, kind, used, round(build_s, 3), round(build_cpu_s, 3), round(index_mb(index), 1),
                   round(float(np.percentile(times, 50)), 3), round(float(np.percentile(times, 95)), 3),
                   round(recall_at_k(index, exact, queries, K), 4), round(float(np.mean(first[:, 0] == sources)), 4))


def run_scale(sizes: Iterable[int], hnsw_above: int, queries: int = QUERIES, budget_s: float = BUDGET_S,
              report: Callable[[Figures], None] = lambda figures: None) -> ScaleRun:
    """Flat and HNSW indexes (as bot/vectors.py builds them) over random unit vectors, smallest size first.
    HNSW is not built at a size where the previous size's build says it would take longer than `budget_s`."""
    load = os.getloadavg()[0]
    figures: list[Figures] = []
    last_hnsw: tuple[int, float] | None = None
    for chunks in sorted(set(sizes)):
        vectors = synthetic_vectors(chunks)
        probes, sources = perturbed_queries(vectors, queries)
        exact, build_s, build_cpu_s = _timed_build(vectors, FLAT)
        used = kind_for(chunks, hnsw_above)
        figures.append(_measure(exact, exact, probes, sources, chunks, FLAT, used == FLAT, build_s, build_cpu_s))
        report(figures[-1])
        estimate = estimated_build_s(*last_hnsw, chunks) if last_hnsw else 0.0
        if estimate > budget_s:
            figures.append(Figures(chunks, HNSW, used == HNSW, skipped=(
                f"not built: at least {estimate / 60:.0f} min estimated from the {last_hnsw[0]:,}-chunk build "
                f"(budget {budget_s / 60:.0f} min)")))
        else:
            approximate, build_s, build_cpu_s = _timed_build(vectors, HNSW)
            last_hnsw = (chunks, build_s)
            figures.append(_measure(approximate, exact, probes, sources, chunks, HNSW, used == HNSW,
                                    build_s, build_cpu_s))
            del approximate
        report(figures[-1])
        del vectors, exact
    return ScaleRun(tuple(figures), DIM, queries, SEED, os.cpu_count() or 1, faiss.omp_get_max_threads(), load)


def parse_sizes(text: str) -> tuple[int, ...]:
    """"10000,100000" or "1e4,1e5" -> (10000, 100000)."""
    try:
        sizes = tuple(int(float(part)) for part in text.split(",") if part.strip())
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < K + 1:
        raise InputError(f"--sizes takes chunk counts of at least {K + 1}, separated by commas "
                         f"(e.g. 10000,100000), not {text!r}.")
    return sizes


COLUMNS = (("chunks", 10, ","), ("index", 6, ""), ("used", 5, ""), ("build s", 9, ".2f"), ("build cpu s", 12, ".2f"),
           ("memory MB", 10, ".1f"), ("p50 ms", 9, ".2f"), ("p95 ms", 9, ".2f"), ("recall@10", 10, ".3f"),
           ("source@1", 9, ".3f"))


def _cell(value, spec: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return format(value, spec)


def row(f: Figures) -> str:
    values = (f.chunks, f.kind, f.used, f.build_s, f.build_cpu_s, f.memory_mb, f.p50_ms, f.p95_ms,
              f.recall_at_10, f.source_at_1)
    line = "".join(f"{_cell(v, spec):>{width}}" if i else f"{_cell(v, spec):<{width}}"
                   for i, (v, (_, width, spec)) in enumerate(zip(values, COLUMNS)))
    return line + (f"  {f.skipped}" if f.skipped else "")


def table(run: ScaleRun) -> str:
    header = "".join(f"{name:>{width}}" if i else f"{name:<{width}}" for i, (name, width, _) in enumerate(COLUMNS))
    notes = (f"{run.dim}-d random unit vectors (seed {run.seed}); {run.queries} queries, each a stored vector "
             f"plus noise; k={K}; {run.cores} cores, FAISS threads {run.faiss_threads}, "
             f"load average {run.load_average:.2f} at the start")
    return "\n".join([header, *map(row, run.figures), "", notes])
