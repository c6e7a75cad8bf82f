"""Index round trip, mismatch and damage detection, version folders; retrieval over the real report."""
import hashlib
import json
from pathlib import Path

import faiss
import pytest

import bot.index
from bot.errors import IndexStateError
from bot.index import (CHUNKS, MANIFEST, VECTORS, build_index, load_index, load_or_build, read_manifest,
                       save_index, staleness)
from bot.retrieve import Retriever
from bot.types import Chunk

from fakes import HashEmbedder


def live(settings):
    """The version folder the manifest names."""
    return settings.index_dir / read_manifest(settings.index_dir).folder


def reseal(settings, name, data: bytes):
    """Replace one index file and record its new sha256, as a consistent but wrong build would."""
    (live(settings) / name).write_bytes(data)
    path = settings.index_dir / MANIFEST
    manifest = json.loads(path.read_text())
    manifest["files"][name] = hashlib.sha256(data).hexdigest()
    path.write_text(json.dumps(manifest))


def test_round_trip(settings):
    built = build_index(settings, HashEmbedder())
    loaded = load_index(settings, HashEmbedder.id)
    assert [c.id for c in loaded.chunks] == [c.id for c in built.chunks]
    assert loaded.vectors.ntotal == len(loaded.chunks)
    assert loaded.manifest.dim == HashEmbedder.dim and loaded.manifest.embedder == HashEmbedder.id
    assert not list(settings.index_dir.glob(".*.tmp"))  # nothing half-written is left behind
    assert not list(settings.index_dir.glob(".build-*"))
    assert sorted(p.name for p in live(settings).iterdir()) == [CHUNKS, VECTORS]


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
    path = live(settings) / "chunks.jsonl"
    path.write_text(path.read_text(encoding="utf-8")[:-50], encoding="utf-8")
    assert "chunks.jsonl is missing or damaged" in staleness(settings, HashEmbedder.id)


@pytest.mark.parametrize("name", [CHUNKS, VECTORS])
@pytest.mark.parametrize("damage", ["truncated", "flipped", "missing"])
def test_damaged_file_is_reported_then_rebuilt(settings, name, damage, capsys):
    built = build_index(settings, HashEmbedder())
    path = live(settings) / name
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flipped":  # same size, one byte changed: only the checksum can tell
        path.write_bytes(data[:-9] + bytes([data[-9] ^ 0xFF]) + data[-8:])
    else:
        path.unlink()
    with pytest.raises(IndexStateError, match=f"{name} is missing or damaged.*python -m bot index"):
        load_index(settings, HashEmbedder.id)
    repaired = load_or_build(settings, HashEmbedder())
    assert "Rebuilding" in capsys.readouterr().err
    assert [c.id for c in repaired.chunks] == [c.id for c in built.chunks]
    assert staleness(settings, HashEmbedder.id) is None


def test_manifest_checksum_that_does_not_match_is_damage(settings):
    build_index(settings, HashEmbedder())
    path = settings.index_dir / MANIFEST
    manifest = json.loads(path.read_text())
    manifest["files"][VECTORS] = "0" * 64
    path.write_text(json.dumps(manifest))
    assert "dense.faiss is missing or damaged" in staleness(settings, HashEmbedder.id)
    manifest["files"] = {}  # a manifest listing no files vouches for none
    path.write_text(json.dumps(manifest))
    assert "chunks.jsonl is missing or damaged; dense.faiss is missing or damaged" in staleness(
        settings, HashEmbedder.id)


def test_faiss_only_reads_the_bytes_that_matched_the_manifest(settings, monkeypatch):
    build_index(settings, HashEmbedder())
    expected = read_manifest(settings.index_dir).files[VECTORS]
    given = []
    real_deserialize, real_read = faiss.deserialize_index, Path.read_bytes

    def spy(array):
        given.append(hashlib.sha256(array.tobytes()).hexdigest())
        return real_deserialize(array)

    def read_then_damage(path):  # another process damages the file right after each read
        data = real_read(path)
        if path.name == VECTORS:
            path.write_bytes(data[:100] + b"\xff" * (len(data) - 100))
        return data

    monkeypatch.setattr(bot.index.faiss, "deserialize_index", spy)
    monkeypatch.setattr(Path, "read_bytes", read_then_damage)
    loaded = load_index(settings, HashEmbedder.id)  # what was checked is what was parsed
    assert loaded.vectors.ntotal == len(loaded.chunks) and given == [expected]
    with pytest.raises(IndexStateError, match="dense.faiss is missing or damaged"):
        load_index(settings, HashEmbedder.id)
    assert given == [expected]  # the damaged bytes never reached FAISS


@pytest.mark.parametrize("line, reason", [
    ("{not json", "is not valid JSON"),
    ("[1, 2]", "is not a chunk"),
    ('{"id": "x", "source": "s"}', "is not a chunk"),
    ('{"id": 7, "source": "s", "section": "", "location": "", "text": "t"}', "is not a chunk"),
    ('{"id": "x", "source": "s", "section": "", "location": "", "text": "t", "extra": 1}', "is not a chunk"),
])
def test_a_bad_chunk_line_is_an_index_error_not_a_traceback(settings, line, reason, capsys):
    built = build_index(settings, HashEmbedder())
    lines = (live(settings) / CHUNKS).read_text(encoding="utf-8").split("\n")
    lines[3] = line
    reseal(settings, CHUNKS, "\n".join(lines).encode())  # the checksum matches: only parsing can tell
    with pytest.raises(IndexStateError, match=f"Line 4 of .*chunks.jsonl {reason}.*python -m bot index"):
        load_index(settings, HashEmbedder.id)
    assert reason in staleness(settings, HashEmbedder.id)
    assert [c.id for c in load_or_build(settings, HashEmbedder()).chunks] == [c.id for c in built.chunks]


def test_unreadable_vectors_or_counts_that_disagree_are_reported(settings):
    build_index(settings, HashEmbedder())
    reseal(settings, VECTORS, b"not a faiss index")
    with pytest.raises(IndexStateError, match="cannot be read by FAISS.*python -m bot index"):
        load_index(settings, HashEmbedder.id)
    build_index(settings, HashEmbedder())
    lines = (live(settings) / CHUNKS).read_text(encoding="utf-8").split("\n")
    reseal(settings, CHUNKS, "\n".join(lines[1:]).encode())
    with pytest.raises(IndexStateError, match="inconsistent"):
        load_index(settings, HashEmbedder.id)


@pytest.mark.parametrize("folder", ["../elsewhere", "v-x/../../elsewhere", "/tmp", 3])
def test_a_manifest_naming_a_folder_outside_the_index_is_unreadable(settings, folder):
    build_index(settings, HashEmbedder())
    path = settings.index_dir / MANIFEST
    path.write_text(json.dumps({**json.loads(path.read_text()), "folder": folder}))
    with pytest.raises(IndexStateError, match="unreadable"):
        load_index(settings, HashEmbedder.id)


def test_text_with_unicode_line_separators_round_trips(settings):
    chunks = [Chunk(f"c{i}", "r.txt", "S", f"S ¶{i}", text) for i, text in
              enumerate(["avant\u2028après", "un\x85deux", "fin\u2029"])]
    flat = faiss.IndexFlatIP(HashEmbedder.dim)
    flat.add(HashEmbedder().embed_documents([c.text for c in chunks]))
    save_index(settings, chunks, flat, HashEmbedder.id)
    assert load_index(settings, HashEmbedder.id).chunks == tuple(chunks)


def test_a_build_switches_versions_and_cleans_what_killed_builds_left(settings):
    build_index(settings, HashEmbedder())
    first = read_manifest(settings.index_dir).folder
    (settings.index_dir / ".build-999999").mkdir()
    (settings.index_dir / ".build-999999" / CHUNKS).write_text("half")
    (settings.index_dir / "v-orphan").mkdir()  # renamed, but its build died before the switch
    (settings.index_dir / ".manifest.json.999999.tmp").write_text("{")
    (settings.index_dir / "README.md").write_text("kept")
    build_index(settings, HashEmbedder())
    second = read_manifest(settings.index_dir).folder
    names = {p.name for p in settings.index_dir.iterdir()}
    assert second != first and names == {MANIFEST, ".build.lock", "README.md", first, second}
    build_index(settings, HashEmbedder())  # the previous version stays one build, for a reader in flight
    third = read_manifest(settings.index_dir).folder
    assert {p.name for p in settings.index_dir.iterdir()} == {MANIFEST, ".build.lock", "README.md", second, third}
    assert (settings.index_dir / "README.md").read_text() == "kept"


def test_an_index_of_the_older_layout_is_read_then_replaced(settings):
    build_index(settings, HashEmbedder())
    folder = live(settings)
    for name in (CHUNKS, VECTORS):  # files beside the manifest, as builds did before version folders
        (folder / name).rename(settings.index_dir / name)
    folder.rmdir()
    path = settings.index_dir / MANIFEST
    manifest = json.loads(path.read_text())
    del manifest["folder"]
    path.write_text(json.dumps(manifest))
    assert staleness(settings, HashEmbedder.id) is None
    build_index(settings, HashEmbedder())
    build_index(settings, HashEmbedder())
    assert not (settings.index_dir / CHUNKS).exists() and not (settings.index_dir / VECTORS).exists()


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
