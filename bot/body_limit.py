"""An ASGI middleware that refuses an HTTP request body larger than a bound, before it is read whole."""
from __future__ import annotations

from bot.prompts import UI


class _TooLarge(Exception):
    pass


class BodyLimit:
    """413 for a body over `max_bytes`: at once when Content-Length says so, otherwise as soon as the
    chunks received pass the bound (a chunked upload cannot fill memory or disk either)."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await _refuse(send, self.max_bytes)
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
            await _refuse(send, self.max_bytes)


async def _refuse(send, max_bytes: int) -> None:
    body = " / ".join(UI["too_large"][lang].format(max=max_bytes) for lang in ("en", "fr")).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
