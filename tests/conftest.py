"""Shared fixtures: the real report, settings pointing at temporary folders, real models once per session."""
from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

import pytest

# An accidental download from a model hub must fail loudly, not hang or succeed silently.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# The real model's tests check answers, not speed: on a busy or slower CPU an answer must not be cut by
# the product's time limit (its own tests set a short one).
os.environ.setdefault("BOT_MAX_ANSWER_SECONDS", "3600")

from bot.config import ROOT, load_settings  # noqa: E402

REPORT = ROOT / "corpus" / "ia-sante-chine-partie-2.txt"


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(REPORT, folder / REPORT.name)
    return folder


@pytest.fixture
def settings(tmp_path: Path, corpus_dir: Path):
    return load_settings({}).with_(corpus_dir=corpus_dir, index_dir=tmp_path / "index",
                                   feedback_path=tmp_path / "feedback.jsonl")


@pytest.fixture(scope="session")
def real_pipeline():
    """The real models, loaded once for all integration tests, over the project's own index."""
    from bot.runtime import load_pipeline

    return load_pipeline(load_settings().with_(max_answer_seconds=math.inf))
