"""How long a server takes from its start to its first page, and to its models loaded: `python -m bot serve`, in a
child process."""
from __future__ import annotations

import json
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace

from bot.config import ROOT
from bot.errors import BotError

TIMEOUT_S = 600.0  # the models load in the child: slow on a busy machine, but not this slow
POLL_S = 0.25


@dataclass(frozen=True)
class Ready:
    seconds: float  # from the process's start to the first page answered 200
    peak_rss_mb: float  # the largest child this process has waited for: the server, up to its models loaded
    models_s: float | None = None  # from the start to /api/health no longer "loading"; None: no such endpoint


def serve_command(port: int) -> list[str]:
    return [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _status(url: str) -> str | None:
    """The server's health status ("loading", "ok", "unavailable"), or None when it has no health endpoint."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:  # 503 while loading, or when the models could not be loaded
        body = exc.read()
    except (urllib.error.URLError, OSError):
        return "loading"  # busy loading: asked again
    try:
        return json.loads(body).get("status")
    except (ValueError, AttributeError):
        return None


@contextmanager
def started(env: Mapping[str, str], command: Callable[[int], list[str]] = serve_command,
            timeout_s: float = TIMEOUT_S) -> Iterator[tuple[str, Ready]]:
    """Start `command(port)`, ask for its page until it answers, then for its health until the models are
    loaded; give its URL and how long that took; stop it on leaving, whatever happens."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        child = subprocess.Popen(command(port), env=dict(env), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)

        def alive(doing: str) -> None:
            if child.poll() is not None:
                log.seek(0)
                tail = log.read().decode("utf-8", "replace").strip()[-500:]
                raise BotError(f"`{' '.join(command(port))}` ended (exit {child.returncode}) before it could "
                               f"{doing}:\n{tail}")
            if time.perf_counter() - start > timeout_s:
                raise BotError(f"{url} did not {doing} within {timeout_s:.0f} s.")

        try:
            while not _answers(url):
                alive("serve its page")
                time.sleep(POLL_S)
            seconds = time.perf_counter() - start
            while (status := _status(url + "api/health")) == "loading":
                alive("load its models")
                time.sleep(POLL_S)
            models_s = time.perf_counter() - start if status is not None else None
            yield url, Ready(seconds, 0.0, models_s)
        finally:
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def time_to_first_page(env: Mapping[str, str], command: Callable[[int], list[str]] = serve_command,
                       timeout_s: float = TIMEOUT_S) -> Ready:
    """How long `command(port)` takes to its first page and to its models loaded (the server's memory is then
    measured whole, and nothing it loads runs on after)."""
    with started(env, command, timeout_s) as (_, ready):
        pass
    return replace(ready, peak_rss_mb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
