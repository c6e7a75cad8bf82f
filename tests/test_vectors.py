"""The vector index: exact below the threshold, HNSW above it, and HNSW's recall@10 against the exact index."""
import numpy as np
import pytest

from bot.vectors import (FLAT, HNSW, kind_for, kind_of, measured_recall, recall_at_k, stored_vectors,
                         synthetic_recall, unit_rows, vector_index)


@pytest.mark.slow  # building the graph: 3-6 s on two cores
def test_hnsw_finds_the_exact_nearest_neighbours_on_20000_random_unit_vectors():
    assert synthetic_recall(n=20_000, dim=64, queries=200, k=10) >= 0.95


def test_the_threshold_picks_the_kind_and_both_kinds_keep_their_vectors():
    assert kind_for(50_000, 50_000) == FLAT and kind_for(50_001, 50_000) == HNSW
    vectors = unit_rows(np.random.default_rng(1).standard_normal((500, 16)))
    for kind in (FLAT, HNSW):
        index = vector_index(vectors, kind)
        assert kind_of(index) == kind and np.array_equal(stored_vectors(index), vectors)


def test_recall_is_one_for_the_exact_index_and_measured_on_queries_among_the_data():
    vectors = unit_rows(np.random.default_rng(2).standard_normal((2000, 32)))
    exact = vector_index(vectors, FLAT)
    assert recall_at_k(exact, exact, vectors[:50]) == 1.0
    assert 0.9 <= measured_recall(vectors, vector_index(vectors, HNSW)) <= 1.0
