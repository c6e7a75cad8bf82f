"""Test helpers: the real app as a `python -m bot serve` process on a free port, a headless Chromium page,
and an OpenAI-style chat completions server run in-process."""
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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
    """`python -m bot serve` as a real process on a free port; yields its URL once it answers and its models
    are loaded (or could not be)."""
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
            while models_loading(url):
                assert server.poll() is None, log_path.read_text()[-3000:]
                assert time.time() < deadline, "the models did not load within 300 s"
                time.sleep(0.5)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)


def models_loading(url: str) -> bool:
    """Whether the app at `url` says that its models are still loading."""
    try:
        with urllib.request.urlopen(url + "api/health", timeout=5) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:  # 503 while loading, or when the models could not be loaded
        body = exc.read()
    return json.loads(body).get("status") == "loading"


@contextmanager
def apps_in_process(folder: Path, default_generator, documents: dict[str, str] | None = None):
    """Apps in this process over the real report (and `documents`, file name -> text, beside it), indexed with
    the stand-in embedder. Yields start(generator=None, load=None, renderings=None, page_first=False, **bounds)
    -> (url, pipeline), each app with its own port and bounds and `default_generator()` unless given one; with
    `page_first`, the page is served before `load` ends, as `serve` does; every app is closed at the end."""
    from bot.app import build_app, launch
    from bot.config import load_settings
    from bot.contents import Contents
    from bot.index import build_index
    from bot.pipeline import Pipeline
    from bot.retrieve import Retriever
    from fakes import HashEmbedder

    (folder / "corpus").mkdir()
    shutil.copy(ROOT / "corpus" / "ia-sante-chine-partie-2.txt", folder / "corpus")
    for name, text in (documents or {}).items():
        (folder / "corpus" / name).write_text(text, encoding="utf-8")
    base = load_settings({}).with_(corpus_dir=folder / "corpus", index_dir=folder / "index",
                                   feedback_path=folder / "feedback.jsonl")
    embedder = HashEmbedder()
    index = build_index(base, embedder)
    demos = []

    def start(generator=None, load=None, renderings=None, page_first=False, **bounds):
        settings = base.with_(port=free_port(), **bounds)
        pipeline = Pipeline(settings, embedder, Retriever(index, embedder), generator or default_generator(),
                            renderings)
        contents = Contents.read(settings, index.chunks, renderings) if page_first else None
        demo = build_app(settings, load or (lambda: pipeline), contents)
        launch(demo, settings, block=False)
        demos.append(demo)
        return f"http://127.0.0.1:{settings.port}", pipeline

    try:
        yield start
    finally:
        for demo in demos:
            demo.close()


def browser_page(p, url: str, width: int = 1400, height: int = 1000):
    """A new browser (its own empty storage) showing the page at `url`."""
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is missing: run scripts/ensure_chromium.sh"
    browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    page.wait_for_selector("#question textarea", timeout=60_000)
    return browser, page


class ChatStandIn:
    """An OpenAI-style server on a loopback port, in a thread: POST /v1/chat/completions streams `pieces`
    as server-sent events over chunked HTTP/1.1, as llama.cpp's server does, and records every request.
    `plan` says what the next requests meet, one entry each ("ok" once it is empty): "drop" (the
    connection closed before any answer), "drop_after_first" (closed after the first piece), "error"
    (HTTP 500 whose message repeats the Authorization header, as a careless server might), "silent"
    (nothing for `silence` seconds). `failing` answers every request with the error."""

    def __init__(self, pieces=("Bonjour", " le", " monde", ".")):
        self.pieces = list(pieces)
        self.plan: list[str] = []
        self.failing = False
        self.delay = 0.0  # seconds before each piece
        self.silence = 3.0
        self.requests: list[dict] = []  # {"headers": {...}, "body": {...}}
        self.disconnected = threading.Event()  # a client went away mid-answer
        self.sent = 0  # pieces written, over all requests
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _chat_handler(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self):
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()


def _chat_handler(standin: ChatStandIn):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            standin.requests.append({"headers": dict(self.headers), "body": body})
            mode = "error" if standin.failing else (standin.plan.pop(0) if standin.plan else "ok")
            if self.path != "/v1/chat/completions":
                return self._json(404, {"error": {"message": f"no route {self.path}"}})
            if mode == "drop":
                self.close_connection = True
                return
            if mode == "error":
                message = f"model crashed (request had {self.headers.get('Authorization')})"
                return self._json(500, {"error": {"code": 500, "message": message, "type": "server_error"}})
            if mode == "silent":
                time.sleep(standin.silence)
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                self._event({"delta": {"role": "assistant"}, "finish_reason": None})
                for i, piece in enumerate(standin.pieces):
                    time.sleep(standin.delay)
                    self._event({"delta": {"content": piece}, "finish_reason": None})
                    standin.sent += 1
                    if mode == "drop_after_first":
                        self.close_connection = True
                        return
                self._event({"delta": {}, "finish_reason": "stop"})
                self._chunk(b"data: [DONE]\n\n")
                self._chunk(b"")
            except (BrokenPipeError, ConnectionResetError):
                standin.disconnected.set()
                self.close_connection = True

        def _event(self, choice: dict) -> None:
            data = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [{"index": 0, **choice}]}
            self._chunk(f"data: {json.dumps(data)}\n\n".encode())

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def _json(self, status: int, record: dict) -> None:
            data = json.dumps(record).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
