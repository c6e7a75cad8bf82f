"""Feedback appends survive crashes: no torn line merges with the next record, and readers skip a torn one."""
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from bot.feedback import append_feedback, read_feedback

ROOT = Path(__file__).resolve().parent.parent


def record(n: int, comment: str = "") -> dict:
    return {"n": n, "rating": "up", "comment": comment, "question": "Qui domine ?", "answer": "Ali Health [1]."}


def test_appends_are_whole_lines_with_nothing_added(tmp_path):
    path = tmp_path / "fb" / "feedback.jsonl"
    append_feedback(path, record(1))
    append_feedback(path, record(2))
    expected = "".join(json.dumps(record(n), ensure_ascii=False) + "\n" for n in (1, 2))
    assert path.read_text(encoding="utf-8") == expected
    assert read_feedback(path) == [record(1), record(2)]
    assert read_feedback(tmp_path / "none.jsonl") == []


def test_a_torn_last_line_is_ended_before_the_next_record(tmp_path):
    path = tmp_path / "feedback.jsonl"
    append_feedback(path, record(1))
    with open(path, "ab") as fh:  # what a writer killed mid-line leaves: half a record, cut inside "é"
        fh.write(json.dumps(record(2, "très bien")).encode()[:40] + "é".encode()[:1])
    append_feedback(path, record(3, "après"))
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == 4
    assert json.loads(lines[0]) == record(1) and json.loads(lines[2]) == record(3, "après")
    assert read_feedback(path) == [record(1), record(3, "après")]  # the torn line is skipped


def test_a_writer_killed_mid_append_leaves_no_line_that_merges_with_the_next(tmp_path):
    path = tmp_path / "feedback.jsonl"
    append_feedback(path, record(1))
    # A real writer, killed with SIGKILL after half of a large record reached the file.
    child = f"""
import os, sys, time
from pathlib import Path
from bot.feedback import append_feedback
real = os.write
def write(fd, data):
    real(fd, data[: len(data) // 2])
    print("half", flush=True)
    time.sleep(600)
os.write = write
append_feedback(Path({str(path)!r}), {{"n": 2, "comment": "x" * 200000}})
"""
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout.readline().strip() == "half"
    proc.send_signal(signal.SIGKILL)
    proc.stdout.close()
    assert proc.wait(timeout=30) == -signal.SIGKILL
    assert not path.read_bytes().endswith(b"\n")  # the kill tore the record
    append_feedback(path, record(3))
    lines = path.read_bytes().split(b"\n")
    assert json.loads(lines[0]) == record(1) and json.loads(lines[-2]) == record(3) and lines[-1] == b""
    assert read_feedback(path) == [record(1), record(3)]


def test_a_short_write_is_finished_not_left_torn(tmp_path, monkeypatch):
    path = tmp_path / "feedback.jsonl"
    real = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real(fd, bytes(data)[: max(1, len(data) // 3)]))
    append_feedback(path, record(1, "y" * 5000))
    append_feedback(path, record(2))
    monkeypatch.undo()
    assert read_feedback(path) == [record(1, "y" * 5000), record(2)]
    assert path.read_bytes().count(b"\n") == 2


def test_line_separators_inside_a_record_do_not_split_it(tmp_path):
    path = tmp_path / "feedback.jsonl"
    odd = record(1, "avant\u2028après\x85fin\u2029")
    append_feedback(path, odd)
    append_feedback(path, record(2))
    assert read_feedback(path) == [odd, record(2)]


def test_concurrent_writers_never_interleave(tmp_path):
    path = tmp_path / "feedback.jsonl"
    child = f"""
import sys
from pathlib import Path
from bot.feedback import append_feedback
for i in range(40):
    append_feedback(Path({str(path)!r}), {{"writer": sys.argv[1], "i": i, "comment": sys.argv[1] * 30000}})
"""
    procs = [subprocess.Popen([sys.executable, "-c", child, w], cwd=ROOT) for w in "ab"]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == 81
    records = [json.loads(line) for line in lines[:-1]]
    for writer in "ab":
        mine = [r for r in records if r["writer"] == writer]
        assert [r["i"] for r in mine] == list(range(40)) and all(r["comment"] == writer * 30000 for r in mine)
