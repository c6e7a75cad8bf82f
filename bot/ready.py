"""How long a server takes from its start to its first page: `python -m bot serve`, in a child process."""
from __future__ import annotations

import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.config import ROOT
from bot.errors import BotError

TIMEOUT_S = 600.0  # the models load in the child: slow on a busy machine, but not this slow
POLL_S = 0.25


@dataclass(frozen=True)
class Ready:
    seconds: float  # from the process's start to the first page answered 200
    peak_rss_mb: float  # the largest child this process has waited for: the server, up to its first page


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


def time_to_first_page(env: Mapping[str, str], command: Callable[[int], list[str]] = serve_command,
                       timeout_s: float = TIMEOUT_S) -> Ready:
    """Start `command(port)`, ask for its page until it answers, and stop it, whatever happens."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        child = subprocess.Popen(command(port), env=dict(env), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            while not _answers(url):
                if child.poll() is not None:
                    log.seek(0)
                    tail = log.read().decode("utf-8", "replace").strip()[-500:]
                    raise BotError(f"`{' '.join(command(port))}` ended (exit {child.returncode}) before "
                                   f"serving its page:\n{tail}")
                if time.perf_counter() - start > timeout_s:
                    raise BotError(f"{url} did not answer within {timeout_s:.0f} s.")
                time.sleep(POLL_S)
            seconds = time.perf_counter() - start
        finally:
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    return Ready(seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
