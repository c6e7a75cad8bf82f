"""A Generator streaming chat completions from an OpenAI-compatible server (llama.cpp, vLLM, Ollama)."""
from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from contextlib import closing

import httpx

from bot.errors import ServerError
from bot.generate import continues, primer, time_limit_error
from bot.prompts import error_message, lead

# LlamaGenerator's settings: the same prompt gets the same greedy answer in-process or from a server.
GREEDY = {"temperature": 0.0, "top_k": 1, "top_p": 1.0, "min_p": 0.0, "repeat_penalty": 1.0, "seed": 0}


class _Dropped(Exception):
    """The connection ended before the answer did."""


class RemoteGenerator:
    """Chat completions read as server-sent events from `url`/chat/completions.

    `cache_prompt` asks llama.cpp's server to keep the prompt it computed and reuse its longest common
    prefix; other servers ignore it or cache prefixes on their own. With `system_prefix_only` (the
    default), each answer is preceded by a one-token answer to the `primer` messages, then to the
    prompt's `lead` (the system prompt and passage [1]), as LlamaGenerator computes them: the server's
    cache then shares with the prompt exactly the lead, computed in the same batches as in-process, and
    the rest is read from there in the same batch, so a greedy answer from llama-cpp-python's server is
    the in-process one. A second draft of the same answer (`continues`) is sent alone: LlamaGenerator
    reads it on from the previous prompt, and so does the server. Without `system_prefix_only`, a
    server reuses whatever prefix the previous prompt left: faster, but a near-tied token may flip.
    A connection dropped before the first piece is tried once more; after it, what was shown
    cannot be taken back, so the answer ends with a ServerError. With `time_limit`, an answer still
    running after that many seconds ends with a TimeLimitError, as LlamaGenerator's does.
    The API key goes in the Authorization header only, and is cut out of any error the server sends."""

    def __init__(self, url: str, model: str, name: str, api_key: str = "", connect_seconds: float = 10.0,
                 read_seconds: float = 120.0, time_limit: float | None = None, system_prefix_only: bool = True):
        self.name = name
        self.system_prefix_only = system_prefix_only
        self.model = model
        self.time_limit = time_limit
        self._previous: list[dict[str, str]] | None = None  # the last prompt the server answered
        self.connect_seconds, self.read_seconds = connect_seconds, read_seconds
        self._endpoint = url.rstrip("/") + "/chat/completions"
        self._url = str(httpx.URL(url).copy_with(username=None, password=None, query=None, fragment=None))
        self._key = api_key
        # trust_env=False: no proxy, .netrc or certificate path taken from the environment behind config.py's back.
        self._client = httpx.Client(headers={"Authorization": f"Bearer {api_key}"} if api_key else {},
                                    trust_env=False)

    def stream(self, messages: list[dict[str, str]], max_tokens: int) -> Iterator[str]:
        started = time.monotonic()
        body = {"model": self.model, "messages": messages, "max_tokens": max_tokens, "stream": True,
                "cache_prompt": True, **GREEDY}
        previous, self._previous = self._previous, None
        for attempt in (1, 2):
            received = False
            try:
                if self.system_prefix_only and messages and messages[0]["role"] == "system" \
                        and not (attempt == 1 and continues(previous, messages)):
                    self._keep(primer(messages[0]), started)
                    if (start := lead(messages)) is not None:
                        self._keep(start, started)
                # closing(): a stopped answer closes the response now, and the server stops generating.
                with closing(self._attempt(body, started)) as pieces:
                    for text in pieces:
                        if not received:
                            received, self._previous = True, [dict(m) for m in messages]
                        yield text
                        if self.time_limit is not None and time.monotonic() - started > self.time_limit:
                            raise time_limit_error(self.time_limit)
                return
            except _Dropped:
                if received or attempt == 2:
                    raise self._error("server_dropped") from None

    def _keep(self, messages: list[dict[str, str]], started: float) -> None:
        """A one-token answer to these messages: the server's cache is left holding their prompt."""
        body = {"model": self.model, "messages": messages, "max_tokens": 1,
                "stream": True, "cache_prompt": True, **GREEDY}
        for _ in self._attempt(body, started):
            pass

    def _attempt(self, body: dict, started: float) -> Iterator[str]:
        """One request: the answer's pieces; _Dropped when the connection ends before the answer does."""
        read, left = self.read_seconds, math.inf
        if self.time_limit is not None:  # a silent server is given no more than the time left
            left = self.time_limit - (time.monotonic() - started)
            if left <= 0:
                raise time_limit_error(self.time_limit)
            read = min(read, left)
        timeout = httpx.Timeout(read, connect=min(self.connect_seconds, read))
        try:
            with self._client.stream("POST", self._endpoint, json=body, timeout=timeout) as response:
                if response.status_code != 200:
                    response.read()
                    raise self._error("server_failed", detail=self._detail(response.status_code, response.text))
                finished = False
                for data in events(response.iter_lines()):
                    if data == "[DONE]":
                        finished = True
                        break
                    try:
                        chunk = json.loads(data)
                        if "error" in chunk:
                            raise self._error("server_failed", detail=self._detail(response.status_code, data))
                        choice = (chunk.get("choices") or [{}])[0]
                        text = (choice.get("delta") or {}).get("content")
                    except (ValueError, AttributeError, TypeError):
                        raise self._error("server_failed", detail=self._detail(200, data)) from None
                    if text:
                        yield text
                    finished = finished or bool(choice.get("finish_reason"))  # some servers send no [DONE]
                if not finished:
                    raise _Dropped
        except httpx.ConnectError:
            raise self._error("server_down") from None
        except httpx.TimeoutException as exc:
            connecting = isinstance(exc, httpx.ConnectTimeout)
            if left <= (self.connect_seconds if connecting else self.read_seconds):  # the wait was cut short
                raise time_limit_error(self.time_limit) from None
            if connecting:
                raise self._error("server_down") from None
            raise self._error("server_silent", seconds=f"{read:g}") from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            raise _Dropped from None
        except httpx.TransportError:
            raise self._error("server_down") from None

    def _detail(self, status: int, text: str) -> str:
        """The server's own words for an error, short, on one line, without the API key."""
        try:
            error = json.loads(text).get("error") or json.loads(text).get("detail") or text
            text = error.get("message", text) if isinstance(error, dict) else str(error)
        except (ValueError, AttributeError):
            pass
        text = " ".join(text.split())
        if self._key:
            text = text.replace(self._key, "…")
        return f"HTTP {status}" + (f": {text[:200]}" if text else "")

    def _error(self, key: str, **values) -> ServerError:
        return ServerError(" / ".join(error_message(key, lang, url=self._url, **values) for lang in ("fr", "en")))

    def close(self) -> None:
        self._client.close()


def events(lines: Iterator[str]) -> Iterator[str]:
    """The data of each server-sent event (its `data:` lines joined); comments and other fields are skipped."""
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield "\n".join(data)
            data = []
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        yield "\n".join(data)
