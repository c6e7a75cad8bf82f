"""Index round trip, mismatch detection, atomic writes; retrieval over the real report."""
import json

import pytest

from bot.errors import IndexStateError
from bot.index import MANIFEST, build_index, load_index, load_or_build, staleness
from bot.retrieve import Retriever

from fakes import HashEmbedder


def test_round_trip(settings):
    built = build_index(settings, HashEmbedder())
    loaded = load_index(settings, HashEmbedder.id)
    assert [c.id for c in loaded.chunks] == [c.id for c in built.chunks]
    assert loaded.vectors.ntotal == len(loaded.chunks)
    assert loaded.manifest.dim == HashEmbedder.dim and loaded.manifest.embedder == HashEmbedder.id
    assert not list(settings.index_dir.glob(".*.tmp"))  # nothing half-written is left behind


def test_missing_index_says_what_to_do(settings):
    with pytest.raises(IndexStateError, match="python -m bot index"):
        load_index(settings, HashEmbedder.id)


def test_changed_corpus_makes_the_index_stale(settings):
    build_index(settings, HashEmbedder())
    (settings.corpus_dir / "note.md").write_text("# Ajout\nUn nouveau paragraphe.", encoding="utf-8")
    assert "corpus changed" in staleness(settings, HashEmbedder.id)
    with pytest.raises(IndexStateError):
        load_index(settings, HashEmbedder.id)
    rebuilt = load_or_build(settings, HashEmbedder())
    assert any("nouveau paragraphe" in c.text for c in rebuilt.chunks)


def test_other_embedder_or_chunking_is_a_mismatch(settings):
    build_index(settings, HashEmbedder())
    assert "another embedder" in staleness(settings, "other-model@123")
    assert "chunking settings" in staleness(settings.with_(chunk_chars=500), HashEmbedder.id)


def test_damaged_file_is_detected(settings):
    build_index(settings, HashEmbedder())
    path = settings.index_dir / "chunks.jsonl"
    path.write_text(path.read_text(encoding="utf-8")[:-50], encoding="utf-8")
    assert "chunks.jsonl is missing or damaged" in staleness(settings, HashEmbedder.id)


def test_unreadable_manifest_is_reported(settings):
    build_index(settings, HashEmbedder())
    (settings.index_dir / MANIFEST).write_text("{not json")
    with pytest.raises(IndexStateError, match="unreadable"):
        load_index(settings, HashEmbedder.id)


def test_hybrid_retrieval_finds_the_table_row(settings):
    index = build_index(settings, HashEmbedder())
    retriever = Retriever(index, HashEmbedder(), "hybrid")
    top = retriever.search("Philips centres de traitement de données sécurisés", 3)
    assert "Philips" in top[0].chunk.text
    assert [p.rank for p in top] == [1, 2, 3]
    assert all(-1.0 <= p.similarity <= 1.0 for p in top)


def test_bm25_alone_and_unknown_words(settings):
    index = build_index(settings, HashEmbedder())
    retriever = Retriever(index, HashEmbedder(), "bm25")
    assert "Infervision" in retriever.search("infervision", 1)[0].chunk.text
    assert len(retriever.search("zzzz qqqq", 2)) == 2  # no shared word: still a ranking, no crash


def test_manifest_is_plain_json(settings):
    build_index(settings, HashEmbedder())
    manifest = json.loads((settings.index_dir / MANIFEST).read_text())
    assert set(manifest) >= {"embedder", "dim", "chunk_chars", "corpus_sha256", "files"}
