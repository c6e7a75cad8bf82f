"""Test helpers: the real app as a `python -m bot serve` process on a free port, and a headless Chromium page."""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.config import ROOT

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(folder: Path, **env_vars: str):
    """`python -m bot serve` as a real process on a free port; yields its URL once it answers."""
    port = free_port()
    env = dict(os.environ, BOT_PORT=str(port), **env_vars)
    log_path = folder / "serve.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=ROOT, env=env, stdout=log, stderr=log)
        url = f"http://127.0.0.1:{port}/"
        try:
            deadline = time.time() + 300
            while time.time() < deadline:
                assert server.poll() is None, log_path.read_text()[-3000:]
                try:
                    urllib.request.urlopen(url, timeout=2)
                    break
                except OSError:
                    time.sleep(1)
            else:
                pytest.fail("the app did not start within 300 s")
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)


def browser_page(p, url: str):
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is missing: run scripts/ensure_chromium.sh"
    browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.wait_for_selector("#question textarea", timeout=60_000)
    return browser, page
