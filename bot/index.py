"""Build, save and load the index: FAISS vectors + chunk store + manifest, written atomically."""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

from bot.chunk import chunk_corpus
from bot.config import Settings
from bot.embed import Embedder
from bot.errors import IndexStateError
from bot.ingest import corpus_hash, load_corpus
from bot.types import Chunk

FORMAT = 2  # 2: chunks carry their kind
CHUNKS = "chunks.jsonl"
VECTORS = "dense.faiss"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Manifest:
    format: int
    embedder: str
    dim: int
    chunk_chars: int
    headings_in_embedding: bool
    corpus_sha256: str
    files: dict[str, str]  # file name -> sha256, so a torn write is detected
    chunks: int
    built_at: str


@dataclass(frozen=True)
class Index:
    chunks: tuple[Chunk, ...]
    vectors: faiss.Index
    manifest: Manifest


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def embedded_text(chunk: Chunk, settings: Settings) -> str:
    return chunk.embed_text if settings.headings_in_embedding else chunk.text


def build_index(settings: Settings, embedder: Embedder) -> Index:
    docs = load_corpus(settings.corpus_dir)
    chunks = chunk_corpus(docs, settings.chunk_chars)
    vectors = embedder.embed_documents([embedded_text(c, settings) for c in chunks])
    flat = faiss.IndexFlatIP(embedder.dim)
    flat.add(vectors)
    save_index(settings, chunks, flat, embedder)
    return load_index(settings, embedder.id)


def save_index(settings: Settings, chunks: list[Chunk], vectors: faiss.Index, embedder: Embedder) -> None:
    folder = settings.index_dir
    folder.mkdir(parents=True, exist_ok=True)
    chunk_bytes = "".join(json.dumps(asdict(c), ensure_ascii=False) + "\n" for c in chunks).encode()
    vector_bytes = faiss.serialize_index(vectors).tobytes()
    # The manifest goes last: until it is replaced, a reader sees the old one, whose hashes then fail.
    _atomic_write(folder / CHUNKS, chunk_bytes)
    _atomic_write(folder / VECTORS, vector_bytes)
    manifest = Manifest(
        format=FORMAT, embedder=embedder.id, dim=embedder.dim, chunk_chars=settings.chunk_chars,
        headings_in_embedding=settings.headings_in_embedding,
        corpus_sha256=corpus_hash(settings.corpus_dir),
        files={CHUNKS: hashlib.sha256(chunk_bytes).hexdigest(), VECTORS: hashlib.sha256(vector_bytes).hexdigest()},
        chunks=len(chunks), built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    )
    _atomic_write(folder / MANIFEST, json.dumps(asdict(manifest), indent=2).encode())


def read_manifest(folder: Path) -> Manifest:
    path = folder / MANIFEST
    if not path.is_file():
        raise IndexStateError(f"No index in {folder}. Run `python -m bot index`.")
    try:
        return Manifest(**json.loads(path.read_text()))
    except (ValueError, TypeError) as exc:
        raise IndexStateError(f"The index manifest {path} is unreadable ({exc}). Run `python -m bot index`.")


def staleness(settings: Settings, embedder_id: str) -> str | None:
    """Why the index on disk cannot serve these settings, or None when it can."""
    try:
        manifest = read_manifest(settings.index_dir)
    except IndexStateError as exc:
        return str(exc)
    reasons = {
        "it was built by another index format": manifest.format != FORMAT,
        "it was built with another embedder": manifest.embedder != embedder_id,
        "the chunking settings changed": manifest.chunk_chars != settings.chunk_chars
        or manifest.headings_in_embedding != settings.headings_in_embedding,
        "the corpus changed": manifest.corpus_sha256 != corpus_hash(settings.corpus_dir),
    }
    for name, digest in manifest.files.items():
        path = settings.index_dir / name
        reasons[f"{name} is missing or damaged"] = not path.is_file() or _sha256(path) != digest
    found = [reason for reason, bad in reasons.items() if bad]
    return f"The index in {settings.index_dir} is stale: {'; '.join(found)}." if found else None


def load_index(settings: Settings, embedder_id: str) -> Index:
    problem = staleness(settings, embedder_id)
    if problem:
        raise IndexStateError(f"{problem} Run `python -m bot index`.")
    folder = settings.index_dir
    manifest = read_manifest(folder)
    lines = (folder / CHUNKS).read_text(encoding="utf-8").splitlines()
    chunks = tuple(Chunk(**json.loads(line)) for line in lines if line)
    vectors = faiss.deserialize_index(np.frombuffer((folder / VECTORS).read_bytes(), dtype=np.uint8))
    if len(chunks) != vectors.ntotal or vectors.d != manifest.dim:
        raise IndexStateError(f"The index in {folder} is inconsistent. Run `python -m bot index`.")
    return Index(chunks, vectors, manifest)


def load_or_build(settings: Settings, embedder: Embedder) -> Index:
    """The edge's way in: a stale index is rebuilt (it takes seconds) and the reason is shown."""
    problem = staleness(settings, embedder.id)
    if problem is None:
        return load_index(settings, embedder.id)
    print(f"{problem} Rebuilding it.", file=sys.stderr, flush=True)
    return build_index(settings, embedder)
