"""The command line's edges: clear errors with exit code 2, never a traceback."""
import subprocess
import sys

import pytest

from bot.config import ROOT, load_settings
from bot.errors import BotError


def run(*args, env=None, stdin=""):
    import os

    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, capture_output=True, text=True,
                          input=stdin, env=dict(os.environ, **(env or {})), timeout=300)


def test_missing_models_give_a_clear_message(tmp_path):
    done = run("ask", "Quelle est la taille du marché ?", env={"BOT_CACHE_DIR": str(tmp_path)})
    assert done.returncode == 2
    assert "missing" in done.stderr and "make setup" in done.stderr and "Traceback" not in done.stderr


def test_bad_settings_are_reported(tmp_path):
    done = run("index", env={"BOT_GENERATOR": "7b"})
    assert done.returncode == 2 and "BOT_GENERATOR" in done.stderr and "Traceback" not in done.stderr
    with pytest.raises(BotError, match="BOT_TOP_K"):
        load_settings({"BOT_TOP_K": "many"})


def test_missing_corpus_is_reported(tmp_path):
    done = run("index", env={"BOT_CORPUS_DIR": str(tmp_path / "nothing"), "BOT_INDEX_DIR": str(tmp_path / "i")})
    assert done.returncode == 2 and "No corpus folder" in done.stderr
