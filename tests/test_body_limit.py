"""A request body over the bound is refused with 413 before it is read whole; others pass untouched."""
import asyncio

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from bot.body_limit import BodyLimit

read: list[int] = []


async def echo_length(request):
    body = await request.body()
    read.append(len(body))
    return PlainTextResponse(str(len(body)))


def client(max_bytes: int) -> TestClient:
    app = Starlette(routes=[Route("/", echo_length, methods=["POST"])],
                    middleware=[Middleware(BodyLimit, max_bytes=max_bytes)])
    return TestClient(app)


def test_a_body_within_the_bound_reaches_the_app():
    response = client(100).post("/", content=b"x" * 100)
    assert response.status_code == 200 and response.text == "100"


def test_a_declared_length_over_the_bound_is_refused_before_the_app_runs():
    read.clear()
    response = client(100).post("/", content=b"x" * 101)
    assert response.status_code == 413 and "100" in response.text
    assert read == []


def test_a_streamed_body_is_refused_once_it_passes_the_bound():
    """A chunked body (no Content-Length), driven at the ASGI level to count what is pulled from the client."""
    app = Starlette(routes=[Route("/", echo_length, methods=["POST"])],
                    middleware=[Middleware(BodyLimit, max_bytes=10_000)])
    pulled, sent = [], []

    async def receive():
        pulled.append(1)
        return {"type": "http.request", "body": b"x" * 1000, "more_body": len(pulled) < 1000}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/", "raw_path": b"/", "query_string": b"", "root_path": "",
             "headers": [(b"transfer-encoding", b"chunked")], "client": ("127.0.0.1", 1), "server": ("t", 80)}
    read.clear()
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413
    assert read == [] and len(pulled) == 11  # stopped at the first chunk past the bound


def test_a_malformed_length_is_refused():
    response = client(100).post("/", content=b"x", headers={"content-length": "1e9"})
    assert response.status_code in (400, 413)
