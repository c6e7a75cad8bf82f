"""Memory bandwidth measured by copying a large array, and the decode rate it allows at most."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

COPY_MB = 256  # per array: far past any CPU cache, so the copy runs at memory speed
RUNS = 3


def copy_bandwidth_gbs(mb: int = COPY_MB, threads: int = 1, runs: int = RUNS) -> float:
    """GB/s moved by copying an array, best of `runs`, counting bytes read and written as STREAM's copy
    does. `threads` copy a slice each (numpy releases the GIL): llama.cpp reads its weights with as many."""
    n = mb * 2**20
    source = np.ones(n, dtype=np.uint8)  # written once, so its pages exist before the clock starts
    target = np.zeros(n, dtype=np.uint8)
    bounds = np.linspace(0, n, threads + 1, dtype=np.int64)
    slices = [slice(int(a), int(b)) for a, b in zip(bounds, bounds[1:])]
    best = float("inf")
    with ThreadPoolExecutor(threads) as pool:
        for _ in range(runs):
            start = time.perf_counter()
            list(pool.map(lambda part: np.copyto(target[part], source[part]), slices))
            best = min(best, time.perf_counter() - start)
    return 2 * n / best / 1e9


def bound_tokens_per_s(bandwidth_gbs: float, bytes_per_token: int) -> float:
    """Decoding one token reads every weight once: no more tokens per second than the memory delivers
    the model file."""
    return bandwidth_gbs * 1e9 / bytes_per_token
