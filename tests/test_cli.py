"""The command line's edges: clear errors with exit code 2, never a traceback; a batch that always ends."""
import io
import json
import subprocess
import sys

import pytest

from bot.cli import _jsonl
from bot.config import ROOT, load_settings
from bot.errors import BotError
from bot.generate import time_limit_error
from bot.prompts import UI, error_message


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


QUESTION = "Quelle est la valeur du marché de l'IA en santé en Chine en 2030 ?"
REPLY = "Le marché devrait atteindre 18,88 milliards de dollars US d'ici 2030 [1]."
SLOW = "Quels sont les principaux acteurs de la télémédecine en Chine ?"


def stand_ins(settings, generator):
    """The real index of the report and the real pipeline, with stand-ins for the two models."""
    from bot.index import build_index
    from bot.pipeline import Pipeline
    from bot.retrieve import Retriever

    from fakes import HashEmbedder

    embedder = HashEmbedder()
    return Pipeline(settings, embedder, Retriever(build_index(settings, embedder), embedder), generator)


class Reads(io.BytesIO):
    """Bytes on stdin, recording how much each read returned."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.sizes: list[int] = []

    def readline(self, size=-1):
        line = super().readline(size)
        self.sizes.append(len(line))
        return line


def jsonl(pipeline, stdin) -> list[dict]:
    out = io.StringIO()
    assert _jsonl(pipeline, stdin, out) == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_line_past_the_time_limit_gets_an_error_and_the_next_lines_are_answered(settings):
    from fakes import TimingOut

    generator = TimingOut(REPLY, slow=SLOW, seconds=1.5)
    records = jsonl(stand_ins(settings, generator), io.StringIO(f"{QUESTION}\n{SLOW}\n{QUESTION}\n"))
    assert len(records) == 3 and len(generator.calls) == 3
    assert records[1] == {"question": SLOW, "error": str(time_limit_error(1.5))}
    assert UI["time_limit"]["en"].format(seconds="1.5") in records[1]["error"]
    assert "18,88" in records[0]["answer"] and records[2]["answer"] == records[0]["answer"]


def test_a_line_over_the_bound_is_not_read_whole_and_the_next_line_is_answered(settings):
    from fakes import ScriptedGenerator

    limit = len(QUESTION.encode())  # a line of exactly the bound is read; one byte more is too long
    pipeline = stand_ins(settings.with_(max_request_bytes=limit), ScriptedGenerator(REPLY))
    history = [{"role": "user", "content": "Taille du marché ? " * 50_000}]
    stdin = Reads(b"\n".join([QUESTION.encode(), QUESTION.encode() + b"!", b"\xff" * 3_000_000,
                              json.dumps({"question": QUESTION, "history": history}).encode(),
                              QUESTION.encode(), b"x" * (limit + 1)]))  # the last one has no newline
    records = jsonl(pipeline, stdin)
    too_long = error_message("line_too_long", "en", max=limit)
    assert [r.get("error") for r in records] == [None, too_long, too_long, too_long, None, too_long]
    assert "18,88" in records[0]["answer"] and records[4]["answer"] == records[0]["answer"]
    assert records[1]["question"] == QUESTION + "!" and records[5]["question"] == "x" * (limit + 1)
    assert records[2]["question"] == "\ufffd" * (limit + 1) and records[3]["question"].startswith('{"question"')
    assert max(stdin.sizes) <= limit + 1  # no line, whatever its size, was read whole


def test_the_bound_holds_for_the_default_settings_too(settings):
    """A 3 MB line is over the default bound (1 MB); the 100,000-character question under it is read and refused."""
    from fakes import ScriptedGenerator

    pipeline = stand_ins(settings, ScriptedGenerator(REPLY))
    stdin = io.TextIOWrapper(Reads(b"a" * 100_000 + b"\n" + b"b" * 3_000_000 + b"\n" + QUESTION.encode() + b"\n"))
    records = jsonl(pipeline, stdin)
    max_bytes, max_chars = settings.max_request_bytes, settings.max_question_chars
    assert records[0]["error"] == error_message("too_long", "en", n=100_000, max=max_chars)
    assert records[1] == {"question": "b" * max_chars, "error": error_message("line_too_long", "en", max=max_bytes)}
    assert "18,88" in records[2]["answer"]
    assert max(stdin.buffer.sizes) <= max_bytes + 1
