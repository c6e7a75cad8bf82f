"""The command line's edges: clear errors with exit code 2, never a traceback; a batch that always ends."""
import json
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


@pytest.mark.integration
def test_a_batch_of_hostile_lines_gets_one_object_per_line_and_exits_0():
    """The real models, fed raw bytes that are not UTF-8, an encoded lone surrogate and broken JSON."""
    lines = [
        b"Quelle est la taille du march\xc3\xa9 \xff\xfe de l'IA\x00 en sant\xe9 en Chine en 2030 ?",
        "What are the main barriers \u200bto entry \udc80?".encode("utf-8", "surrogatepass"),
        b"",
        b"{bad json",
        b'{"question": 5}',
        b'{"question": "x", "history": [1, {"role": 2}], "language": "de"}',
        b"[" * 10_000 + b"]" * 10_000,
        "\u200b\u202e\x00\ufeff".encode(),
        b"x" * 5000,
        json.dumps({"question": "Et en 2028 ?", "language": "fr",  # \udc80 written as a JSON escape
                    "history": [{"role": "user", "content": "Taille du marché en 2030 \udc80 ?"}]}).encode(),
    ]
    done = subprocess.run([sys.executable, "-m", "bot", "ask", "--jsonl"], cwd=ROOT, capture_output=True,
                          input=b"\n".join(lines) + b"\n", timeout=900)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-3000:]
    assert b"Traceback" not in done.stderr
    records = [json.loads(line) for line in done.stdout.decode("utf-8").split("\n")[:-1]]
    assert len(records) == len(lines)
    assert [("error" in r) for r in records] == [False, False, True, True, True, True, True, True, True, False]
    assert records[0]["question"] == \
        "Quelle est la taille du marché \ufffd\ufffd de l'IA en sant\ufffd en Chine en 2030 ?"
    assert records[1]["question"] == "What are the main barriers to entry \ufffd\ufffd\ufffd?"
    assert records[0]["language"] == "fr" and records[1]["language"] == "en" and records[9]["answer"]
