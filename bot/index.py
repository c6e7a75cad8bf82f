"""Build (incrementally), save and load the index: FAISS vectors + chunk store + manifest, switched in atomically."""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import get_type_hints

import faiss
import numpy as np

from bot.chunk import chunk_document
from bot.config import Settings
from bot.embed import Embedder
from bot.errors import BotError, IndexStateError
from bot.ingest import CorpusFile, corpus_hash, files_hash, load_bytes, read_corpus
from bot.types import Chunk
from bot.vectors import FLAT, HNSW, kind_for, kind_of, measured_recall, stored_vectors, vector_index

FORMAT = 4  # 2: chunks carry their kind; 3: and whether they address an AI assistant; 4: a piece opening on
# the sentence before it ("Pour surmonter cela") carries that sentence
CHUNKS = "chunks.jsonl"
VECTORS = "dense.faiss"
MANIFEST = "manifest.json"
# Layout: index/manifest.json names the version folder (index/v-…/) that holds chunks.jsonl and
# dense.faiss, with their sha256. A build writes a fresh folder beside the live one, then replaces the
# manifest in one rename: whenever a build dies, readers see the whole old index or the whole new one.
VERSION = "v-"
BUILDING = ".build-"  # a folder still being written; never read, removed by the next build
LOCK = ".build.lock"  # one build writes at a time, so the next one may clean up what a killed one left
RUN = "Run `python -m bot index`."
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
CORPUS_CHANGED = "the corpus changed"


@dataclass(frozen=True)
class FileRecord:
    """One corpus file as indexed: its bytes' sha256, its chunks, and whether they came from the previous index."""

    sha256: str
    chunks: int
    reused: bool


@dataclass(frozen=True)
class Manifest:
    format: int
    embedder: str
    dim: int
    chunk_chars: int
    headings_in_embedding: bool
    corpus_sha256: str
    files: dict[str, str]  # file name -> sha256, checked on the very bytes that are then parsed
    chunks: int
    built_at: str
    folder: str = ""  # version folder holding the files ("": beside the manifest, as older builds did)
    sources: dict[str, FileRecord] = field(default_factory=dict)  # corpus file -> record ({}: an older build)
    vector_index: str = FLAT  # or HNSW, past settings.hnsw_above chunks
    recall_at_10: float | None = None  # of an HNSW index against the exact one, measured when built


@dataclass(frozen=True)
class Index:
    chunks: tuple[Chunk, ...]
    vectors: faiss.Index
    manifest: Manifest


class _Unusable(Exception):
    """Why the index on disk cannot serve; the public functions add what to do about it."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_synced(path: Path, data: bytes) -> None:
    """Create `path` holding `data`, on disk before returning."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_dir(folder: Path) -> None:
    """Make the names created or renamed inside `folder` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def embedded_text(chunk: Chunk, settings: Settings) -> str:
    return chunk.embed_text if settings.headings_in_embedding else chunk.text


@dataclass(frozen=True)
class Plan:
    """What a build does with each corpus file: its chunks and vectors taken from the live index (the
    file's bytes are those it was built from), or the file read and chunked anew, to be embedded."""

    files: tuple[CorpusFile, ...]
    chunks: dict[str, list[Chunk]]  # file name -> its chunks, in the file's order
    reused: dict[str, np.ndarray]  # file name -> the vectors of its chunks, for files taken as they were
    removed: tuple[str, ...]  # files of the live index that are no longer in the corpus

    @property
    def to_embed(self) -> list[Chunk]:
        return [c for f in self.files if f.name not in self.reused for c in self.chunks[f.name]]


def plan_build(settings: Settings, embedder_id: str) -> Plan:
    """Read the corpus once (what is hashed is what is parsed) and chunk only the files that changed."""
    files = tuple(read_corpus(settings.corpus_dir))
    live, reused = _unchanged(settings, embedder_id, files)
    chunks = {f.name: list(live.get(f.name, ())) if f.name in reused
              else chunk_document(load_bytes(f.name, f.data), settings.chunk_chars) for f in files}
    if not any(chunks.values()):
        raise BotError(f"The corpus folder {settings.corpus_dir} holds no readable text.")
    return Plan(files, chunks, reused, tuple(sorted(live.keys() - {f.name for f in files})))


def _unchanged(settings: Settings, embedder_id: str, files: tuple[CorpusFile, ...]
               ) -> tuple[dict[str, tuple[Chunk, ...]], dict[str, np.ndarray]]:
    """The live index's chunks per file, and the vectors of the files whose bytes are as it indexed them.
    An index that cannot serve these settings for another reason than the corpus gives nothing to reuse."""
    try:
        live = _open(settings, embedder_id, allowed=(CORPUS_CHANGED,))
    except _Unusable:
        return {}, {}
    rows: dict[str, list[int]] = {}
    for i, chunk in enumerate(live.chunks):
        rows.setdefault(chunk.source, []).append(i)
    known = {name: (r.sha256, r.chunks) for name, r in live.manifest.sources.items()}
    if not known and live.manifest.corpus_sha256 == files_hash(list(files)):
        # Built before per-file records, from this very corpus: every file is as it was.
        known = {f.name: (f.sha256, len(rows.get(f.name, []))) for f in files}
    vectors = stored_vectors(live.vectors)
    chunks = {name: tuple(live.chunks[i] for i in found) for name, found in rows.items()}
    reused = {f.name: vectors[rows.get(f.name, [])] for f in files
              if known.get(f.name) == (f.sha256, len(rows.get(f.name, [])))}
    return chunks, reused


def build_summary(index: "Index", removed: tuple[str, ...] = ()) -> str:
    """What a build did with each file, for `python -m bot index`."""
    m = index.manifest
    lines = [f"  {'reused' if r.reused else 'embedded'}  {name} ({r.chunks} chunk{'s' * (r.chunks != 1)})"
             for name, r in m.sources.items()]
    lines += [f"  removed   {name}" for name in removed]
    kind = m.vector_index + (f", recall@10 {m.recall_at_10:.3f} against exact" if m.recall_at_10 is not None else "")
    files = f"{len(m.sources)} file{'s' * (len(m.sources) != 1)}"
    return "\n".join([f"Indexed {m.chunks} chunks from {files} into {m.folder} ({kind}):"] + lines)


def build_index(settings: Settings, embedder: Embedder, plan: Plan | None = None) -> Index:
    """Embed the chunks of changed files only; an unchanged file's chunks keep their vectors."""
    plan = plan or plan_build(settings, embedder.id)
    texts = [embedded_text(c, settings) for c in plan.to_embed]
    return write_plan(settings, plan, embedder.id, embedder.embed_documents(texts) if texts else None)


def write_plan(settings: Settings, plan: Plan, embedder_id: str, fresh: np.ndarray | None = None) -> Index:
    """Save the index a plan describes. `fresh`: the vectors of plan.to_embed in order; a plan with nothing
    to embed needs none, so `python -m bot index` then does not load the model."""
    chunks: list[Chunk] = []
    parts: list[np.ndarray] = []
    sources: dict[str, FileRecord] = {}
    done = 0
    for f in plan.files:
        mine = plan.chunks[f.name]
        if f.name in plan.reused:
            parts.append(plan.reused[f.name])
        elif mine:
            parts.append(fresh[done:done + len(mine)])
            done += len(mine)
        chunks.extend(mine)
        sources[f.name] = FileRecord(f.sha256, len(mine), f.name in plan.reused)
    vectors = np.concatenate(parts).astype(np.float32, copy=False)
    kind = kind_for(len(chunks), settings.hnsw_above)
    index = vector_index(vectors, kind)
    recall = round(measured_recall(vectors, index), 4) if kind == HNSW else None
    save_index(settings, chunks, index, embedder_id, files_hash(list(plan.files)), sources, recall)
    return load_index(settings, embedder_id)


def save_index(settings: Settings, chunks: list[Chunk], vectors: faiss.Index, embedder_id: str,
               corpus_sha256: str = "", sources: dict[str, FileRecord] | None = None,
               recall_at_10: float | None = None) -> None:
    """Write a new version folder, then switch the manifest to it; the previous index stays whole until then."""
    root = settings.index_dir
    chunk_bytes = "".join(json.dumps(asdict(c), ensure_ascii=False) + "\n" for c in chunks).encode()
    vector_bytes = faiss.serialize_index(vectors).tobytes()
    manifest = Manifest(
        format=FORMAT, embedder=embedder_id, dim=vectors.d, chunk_chars=settings.chunk_chars,
        headings_in_embedding=settings.headings_in_embedding,
        corpus_sha256=corpus_sha256 or corpus_hash(settings.corpus_dir),
        files={CHUNKS: _sha256(chunk_bytes), VECTORS: _sha256(vector_bytes)},
        chunks=len(chunks), built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        folder=f"{VERSION}{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(4)}",
        sources=sources or {}, vector_index=kind_of(vectors), recall_at_10=recall_at_10,
    )
    try:
        root.mkdir(parents=True, exist_ok=True)
        with _build_lock(root):
            _switch(root, manifest, {CHUNKS: chunk_bytes, VECTORS: vector_bytes})
    except OSError as exc:
        if exc.errno in DISK_FULL:
            raise IndexStateError(
                f"The disk holding {root} is full: the new index could not be written, and the previous "
                "one (if any) is kept as it was. Free some disk space, then run `python -m bot index`."
            ) from exc
        raise


@contextmanager
def _build_lock(root: Path) -> Iterator[None]:
    with open(root / LOCK, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # released by the kernel if this process dies
        yield


def _switch(root: Path, manifest: Manifest, files: dict[str, bytes]) -> None:
    previous = _live_folder(root)
    _remove_unused(root, keep={previous})  # folders of builds killed earlier
    staging = root / f"{BUILDING}{os.getpid()}"
    pointer = root / f".{MANIFEST}.{os.getpid()}.tmp"
    try:
        staging.mkdir()
        for name, data in files.items():
            _write_synced(staging / name, data)
        _sync_dir(staging)
        os.rename(staging, root / manifest.folder)  # a v-… folder is always complete
        _sync_dir(root)
        _write_synced(pointer, json.dumps(asdict(manifest), indent=2).encode())
        os.replace(pointer, root / MANIFEST)  # the switch: before it the old index is live, after it the new one
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(root / manifest.folder, ignore_errors=True)
        pointer.unlink(missing_ok=True)
        raise
    try:
        _sync_dir(root)
    except OSError:
        pass  # the switch is made; only its durability across a power cut is in doubt
    # The previous version stays one more build, for a reader that read the old manifest a moment ago.
    _remove_unused(root, keep={manifest.folder, previous})


def _live_folder(root: Path) -> str | None:
    try:
        return _manifest(root).folder
    except _Unusable:
        return None


def _remove_unused(root: Path, keep: set[str | None]) -> None:
    for path in root.iterdir():
        if path.name.startswith((VERSION, BUILDING)) and path.name not in keep and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        elif path.name.startswith(f".{MANIFEST}.") and path.name.endswith(".tmp"):
            path.unlink(missing_ok=True)
    if "" not in keep:  # files of the older layout, beside the manifest
        for name in (CHUNKS, VECTORS):
            (root / name).unlink(missing_ok=True)


def _is_version_name(folder: object) -> bool:
    """A folder name inside the index folder, so a damaged manifest cannot send the reader elsewhere."""
    return isinstance(folder, str) and (folder == "" or (folder.startswith(VERSION) and Path(folder).name == folder))


def _manifest(root: Path) -> Manifest:
    path = root / MANIFEST
    try:
        manifest = Manifest(**json.loads(path.read_bytes()))
        manifest = replace(manifest, sources={name: FileRecord(**r) for name, r in manifest.sources.items()})
    except FileNotFoundError:
        raise _Unusable(f"No index in {root}.") from None
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise _Unusable(f"The index manifest {path} is unreadable ({exc}).") from None
    if not _is_version_name(manifest.folder) or not isinstance(manifest.files, dict):
        raise _Unusable(f"The index manifest {path} is unreadable (it names no valid version folder or files).")
    return manifest


def read_manifest(folder: Path) -> Manifest:
    try:
        return _manifest(folder)
    except _Unusable as exc:
        raise IndexStateError(f"{exc} {RUN}") from None


def _mismatches(manifest: Manifest, settings: Settings, embedder_id: str) -> list[str]:
    reasons = {
        "it was built by another index format": manifest.format != FORMAT,
        "it was built with another embedder": manifest.embedder != embedder_id,
        "the chunking settings changed": manifest.chunk_chars != settings.chunk_chars
        or manifest.headings_in_embedding != settings.headings_in_embedding,
        CORPUS_CHANGED: manifest.corpus_sha256 != corpus_hash(settings.corpus_dir),
    }
    return [reason for reason, bad in reasons.items() if bad]


def _read_checked(root: Path, manifest: Manifest) -> tuple[dict[str, bytes], list[str]]:
    """Each file read once and hashed: what is parsed later is exactly what matched the manifest."""
    contents, problems = {}, []
    for name in (CHUNKS, VECTORS):
        try:
            data = (root / manifest.folder / name).read_bytes()
        except OSError:
            data = None
        if data is None or _sha256(data) != manifest.files.get(name):
            problems.append(f"{name} is missing or damaged")
        else:
            contents[name] = data
    return contents, problems


_CHUNK_TYPES = get_type_hints(Chunk)
_CHUNK_REQUIRED = {f.name for f in fields(Chunk) if f.default is MISSING and f.default_factory is MISSING}


def _is_chunk_record(record: object) -> bool:
    return (isinstance(record, dict) and _CHUNK_REQUIRED <= record.keys() <= _CHUNK_TYPES.keys()
            and all(not isinstance(kind, type) or isinstance(record[name], kind)
                    for name, kind in _CHUNK_TYPES.items() if name in record))


def _parse_chunks(data: bytes, path: Path) -> tuple[Chunk, ...]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Unusable(f"{path} is not UTF-8 text ({exc}).") from None
    chunks = []
    # Split on "\n" only: JSON keeps U+2028 and U+0085 raw, and str.splitlines would cut lines there.
    for number, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise _Unusable(f"Line {number} of {path} is not valid JSON.") from None
        if not _is_chunk_record(record):
            raise _Unusable(f"Line {number} of {path} is not a chunk.")
        chunks.append(Chunk(**record))
    return tuple(chunks)


def _parse_vectors(data: bytes, path: Path) -> faiss.Index:
    try:
        return faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
    except RuntimeError as exc:
        raise _Unusable(f"{path} cannot be read by FAISS ({str(exc).strip().splitlines()[0]}).") from None


def _open(settings: Settings, embedder_id: str, allowed: tuple[str, ...] = ()) -> Index:
    """The index on disk, every file checked against the manifest before it is parsed; or _Unusable.
    `allowed`: mismatches to overlook (a build reuses what an index of an older corpus holds)."""
    root = settings.index_dir
    manifest = _manifest(root)
    contents, damaged = _read_checked(root, manifest)
    problems = [p for p in _mismatches(manifest, settings, embedder_id) if p not in allowed] + damaged
    if problems:
        raise _Unusable(f"The index in {root} is stale: {'; '.join(problems)}.")
    folder = root / manifest.folder
    chunks = _parse_chunks(contents[CHUNKS], folder / CHUNKS)
    vectors = _parse_vectors(contents[VECTORS], folder / VECTORS)
    if not len(chunks) == vectors.ntotal == manifest.chunks or vectors.d != manifest.dim:
        raise _Unusable(f"The index in {root} is inconsistent ({len(chunks)} chunks, {vectors.ntotal} vectors "
                        f"of dimension {vectors.d}, manifest: {manifest.chunks} of dimension {manifest.dim}).")
    return Index(chunks, vectors, manifest)


def staleness(settings: Settings, embedder_id: str) -> str | None:
    """Why the index on disk cannot serve these settings, or None when it can."""
    try:
        _open(settings, embedder_id)
    except _Unusable as exc:
        return str(exc)
    return None


def load_index(settings: Settings, embedder_id: str) -> Index:
    try:
        return _open(settings, embedder_id)
    except _Unusable as exc:
        raise IndexStateError(f"{exc} {RUN}") from None


def load_or_build(settings: Settings, embedder: Embedder) -> Index:
    """The edge's way in: an index that cannot serve is rebuilt (it takes seconds) and the reason is shown."""
    try:
        return _open(settings, embedder.id)
    except _Unusable as exc:
        print(f"{exc} Rebuilding it.", file=sys.stderr, flush=True)
    return build_index(settings, embedder)
