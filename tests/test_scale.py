"""The vector-index measurement at synthetic sizes: figures of the right shape, exact recall 1, HNSW close."""
import json

import faiss
import numpy as np
import pytest

from bot.errors import InputError
from bot.scale import (DIM, estimated_build_s, index_mb, parse_sizes, perturbed_queries, run_scale,
                       synthetic_vectors, table)
from bot.vectors import FLAT, HNSW, vector_index


@pytest.fixture(scope="module")
def run():
    return run_scale((5000, 2000), hnsw_above=3000, queries=50)


def test_each_size_has_a_flat_and_an_hnsw_row_and_the_product_uses_one_of_them(run):
    assert [(f.chunks, f.kind) for f in run.figures] == [(2000, FLAT), (2000, HNSW), (5000, FLAT), (5000, HNSW)]
    assert [f.used for f in run.figures] == [True, False, False, True]
    assert run.dim == DIM == 768 and run.queries == 50


def test_the_figures_are_sane(run):
    for f in run.figures:
        assert not f.skipped
        assert f.build_s >= 0 and f.build_cpu_s >= 0
        assert 0 < f.p50_ms <= f.p95_ms
        assert 0 <= f.recall_at_10 <= 1 and 0 <= f.source_at_1 <= 1
        vectors_mb = f.chunks * DIM * 4 / 1e6
        assert f.memory_mb == pytest.approx(vectors_mb, rel=0.01) if f.kind == FLAT else f.memory_mb > vectors_mb
    flat = [f for f in run.figures if f.kind == FLAT]
    hnsw = [f for f in run.figures if f.kind == HNSW]
    assert all(f.recall_at_10 == 1.0 and f.source_at_1 == 1.0 for f in flat)
    assert all(f.recall_at_10 >= 0.9 and f.source_at_1 >= 0.95 for f in hnsw)


def test_the_table_and_the_json_carry_every_row(run):
    text = table(run)
    assert text.count("\n2,000 ") == 2 and text.count("\n5,000 ") == 2 and "recall@10" in text
    assert len(json.loads(json.dumps(run.to_json()))["figures"]) == 4


def test_hnsw_is_not_built_past_the_time_budget_and_the_row_says_why():
    figures = run_scale((2000, 3000), hnsw_above=100_000, queries=20, budget_s=0.0).figures
    skipped = figures[-1]
    assert (skipped.chunks, skipped.kind, skipped.recall_at_10) == (3000, HNSW, None)
    assert "estimated from the 2,000-chunk build" in skipped.skipped
    assert estimated_build_s(100_000, 200.0, 1_000_000) == pytest.approx(2400.0)


def test_memory_is_what_the_serialised_index_holds_and_queries_are_near_their_source():
    vectors = synthetic_vectors(1500, seed=3)
    assert vectors.dtype == np.float32 and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert np.array_equal(vectors, synthetic_vectors(1500, seed=3))
    for kind in (FLAT, HNSW):
        index = vector_index(vectors, kind)
        assert index_mb(index) == pytest.approx(faiss.serialize_index(index).size / 1e6, rel=0.01)
    queries, sources = perturbed_queries(vectors, 30)
    cosines = np.sum(queries * vectors[sources], axis=1)
    assert len(set(sources)) == 30 and np.all((cosines > 0.85) & (cosines < 0.93))


@pytest.mark.parametrize("text", ["", "abc", "10000,5", "1e4,,"])
def test_sizes_are_parsed_or_refused_with_what_to_type(text):
    if text == "1e4,,":
        assert parse_sizes(text) == (10000,)
    else:
        with pytest.raises(InputError, match="--sizes"):
            parse_sizes(text)


def test_the_time_budget_is_read_in_minutes_and_a_bad_one_refused(capsys):
    from bot import cli

    assert cli.main(["bench", "--scale", "--sizes", "2000", "--budget", "0"]) != 0
    assert "--budget takes minutes above 0" in capsys.readouterr().err
    assert cli.main(["bench", "--scale", "--sizes", "2000", "--budget", "0.5", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["figures"]
    assert [(r["kind"], r["skipped"]) for r in rows] == [("flat", ""), ("hnsw", "")]
