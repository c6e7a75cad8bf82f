"""An index build killed at any step, or stopped by a full disk, leaves the previous index whole and in use."""
import errno
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.errors import IndexStateError
from bot.index import MANIFEST, build_index, load_index, read_manifest

from fakes import HashEmbedder

TESTS = Path(__file__).resolve().parent

# A real build in a child process. Every write is made in two halves and every write, fsync, rename and
# replace is announced first; at step `pause_at` the child says so and waits to be killed there.
CHILD = r"""
import os, sys, time
from pathlib import Path

sys.path.insert(0, sys.argv[1])
from fakes import HashEmbedder
from bot.config import load_settings
from bot.index import build_index

corpus, index, pause_at = Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
count = 0

def step(name, detail=""):
    global count
    count += 1
    print(f"{count} {name} {detail}", flush=True)
    if count == pause_at:
        print("paused", flush=True)
        time.sleep(600)

class Embedder(HashEmbedder):
    def embed_documents(self, texts):
        step("embed")
        return super().embed_documents(texts)

real = {name: getattr(os, name) for name in ("write", "fsync", "rename", "replace")}

def write(fd, data):
    view = memoryview(data)
    done = real["write"](fd, view[: len(view) // 2])
    step("write", os.readlink(f"/proc/self/fd/{fd}"))  # a kill here leaves a torn file
    return done + real["write"](fd, view[len(view) // 2:])

def fsync(fd):
    step("fsync", os.readlink(f"/proc/self/fd/{fd}"))
    return real["fsync"](fd)

def rename(src, dst):
    step("rename", f"{Path(src).name} {Path(dst).name}")
    return real["rename"](src, dst)

def replace(src, dst):
    step("replace", f"{Path(src).name} {Path(dst).name}")
    return real["replace"](src, dst)

os.write, os.fsync, os.rename, os.replace = write, fsync, rename, replace
build_index(load_settings({}).with_(corpus_dir=corpus, index_dir=index), Embedder())
print("done", flush=True)
"""


def run_child(settings, pause_at: int) -> list[str]:
    """Run the child build; kill it with SIGKILL once it pauses. Returns the steps it announced."""
    args = [sys.executable, "-c", CHILD, str(TESTS), str(settings.corpus_dir), str(settings.index_dir), str(pause_at)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=TESTS.parent)
    lines = []
    for line in proc.stdout:
        if line.startswith("paused"):
            proc.send_signal(signal.SIGKILL)
            break
        lines.append(line.strip())
    proc.stdout.close()
    code = proc.wait(timeout=60)
    assert code == (-signal.SIGKILL if pause_at else 0), lines
    return lines


@pytest.fixture
def old_and_new(settings, tmp_path):
    """The previous index, built from the report; the next build reads the report plus one more file."""
    old = build_index(settings, HashEmbedder())
    corpus = tmp_path / "corpus-next"
    shutil.copytree(settings.corpus_dir, corpus)
    (corpus / "note.md").write_text("# Ajout\nUn nouveau paragraphe sur la télémédecine.", encoding="utf-8")
    return settings, settings.with_(corpus_dir=corpus), [c.id for c in old.chunks]


def leftovers(index_dir: Path) -> list[str]:
    """What a build in progress has on disk: its folders and files that no manifest names yet."""
    live = read_manifest(index_dir).folder
    return sorted(p.name for p in index_dir.iterdir()
                  if p.name.startswith((".build-", ".manifest.json.")) or p.name.startswith("v-") and p.name != live)


@pytest.mark.slow  # a real child build per step, each killed: ~10 s
def test_a_build_killed_at_any_step_leaves_the_previous_index_in_use(old_and_new, tmp_path):
    old_settings, new_settings, old_ids = old_and_new
    template = tmp_path / "index-before"
    shutil.copytree(old_settings.index_dir, template)
    steps = run_child(new_settings, 0)  # a full run: the steps it goes through, in order
    assert steps[-1] == "done"
    new_ids = [c.id for c in load_index(new_settings, HashEmbedder.id).chunks]
    assert new_ids != old_ids
    kinds = [s.split()[1] for s in steps[:-1]]
    switch = next(n for n, s in enumerate(steps, 1) if s.split()[1] == "replace" and s.endswith(f" {MANIFEST}"))
    assert {"embed", "write", "fsync", "rename", "replace"} <= set(kinds[:switch]) and switch > 8

    for pause_at in range(1, len(steps)):
        shutil.rmtree(old_settings.index_dir)
        shutil.copytree(template, old_settings.index_dir)
        run_child(new_settings, pause_at)
        if pause_at <= switch:  # killed before the manifest was replaced: the old index, whole
            loaded = load_index(old_settings, HashEmbedder.id)
            assert [c.id for c in loaded.chunks] == old_ids, steps[pause_at - 1]
            assert loaded.vectors.ntotal == len(old_ids)
            if pause_at > 1:  # the kill landed mid-build: something half-done is on disk
                assert leftovers(old_settings.index_dir), steps[pause_at - 1]
        else:  # killed after the switch: the new index, whole
            assert [c.id for c in load_index(new_settings, HashEmbedder.id).chunks] == new_ids
        live = read_manifest(old_settings.index_dir).folder
        rebuilt = build_index(new_settings, HashEmbedder())  # the next build succeeds and cleans up
        assert [c.id for c in rebuilt.chunks] == new_ids
        versions = {p.name for p in old_settings.index_dir.iterdir() if p.name.startswith("v-")}
        assert versions == {live, rebuilt.manifest.folder}  # the one it replaced stays for one build
        assert not [p for p in old_settings.index_dir.iterdir() if p.name.startswith((".build-", ".manifest.json."))]


# Writes: chunks, vectors, manifest. Syncs: chunks, vectors, their folder, the index folder, manifest.
@pytest.mark.parametrize("call, nth", [("write", n) for n in (1, 2, 3)] + [("fsync", n) for n in (1, 2, 3, 4, 5)])
def test_a_full_disk_keeps_the_previous_index_and_says_so(old_and_new, monkeypatch, call, nth):
    old_settings, new_settings, old_ids = old_and_new
    before = read_manifest(old_settings.index_dir)
    real = getattr(os, call)
    calls = []

    def full(*args):
        calls.append(args)
        if len(calls) == nth:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(*args)

    monkeypatch.setattr(os, call, full)
    with pytest.raises(IndexStateError, match=r"disk holding .* is full.*previous one .* is kept.*python -m bot index"):
        build_index(new_settings, HashEmbedder())
    monkeypatch.undo()
    assert len(calls) == nth
    assert read_manifest(old_settings.index_dir) == before
    assert [c.id for c in load_index(old_settings, HashEmbedder.id).chunks] == old_ids
    assert leftovers(old_settings.index_dir) == []
    assert len(build_index(new_settings, HashEmbedder()).chunks) > len(old_ids)


def test_a_full_disk_on_the_first_build_leaves_nothing_posing_as_an_index(settings, monkeypatch):
    real = os.fsync

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(IndexStateError, match="is full"):
        build_index(settings, HashEmbedder())
    monkeypatch.setattr(os, "fsync", real)
    with pytest.raises(IndexStateError, match="No index in"):
        load_index(settings, HashEmbedder.id)
    assert sorted(p.name for p in settings.index_dir.iterdir()) == [".build.lock"]
