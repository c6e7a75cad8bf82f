"""An ASGI middleware that refuses an HTTP request body larger than a bound, before it is read whole."""
from __future__ import annotations

import json

from bot.prompts import UI


class _TooLarge(Exception):
    pass


class BodyLimit:
    """413 for a body over `max_bytes`: at once when Content-Length says so, otherwise as soon as the
    chunks received pass the bound (a chunked upload cannot fill memory or disk either). Requests whose
    path starts with `json_under` (the HTTP API's) are told so in a JSON error object."""

    def __init__(self, app, max_bytes: int, json_under: str | None = None):
        self.app = app
        self.max_bytes = max_bytes
        self.json_under = json_under

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        as_json = self.json_under is not None and scope["path"].startswith(self.json_under)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await _refuse(send, self.max_bytes, as_json)
            return
        received = 0
        responded = False

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def watched_send(message):
            nonlocal responded
            responded = responded or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except _TooLarge:
            if responded:  # too late for a status: the connection is simply closed
                raise
            await _refuse(send, self.max_bytes, as_json)


async def _refuse(send, max_bytes: int, as_json: bool = False) -> None:
    message = " / ".join(UI["too_large"][lang].format(max=max_bytes) for lang in ("en", "fr"))
    body = (json.dumps({"error": message}, ensure_ascii=False) if as_json else message).encode()
    kind = b"application/json" if as_json else b"text/plain; charset=utf-8"
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", kind),
                            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
