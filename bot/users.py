"""Answers per minute for several readers at once: `python -m bot serve` in a child process, its generation
in-process or on an OpenAI-compatible server (`BOT_LLM_URL`), asked through its HTTP API by 1, 4… users at a
time. Every round asks the same questions, shared out among its users, each asking theirs one after the
other: the rounds differ only in how many readers wait at once."""
from __future__ import annotations

import json
import statistics
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.ready import started

REQUEST_TIMEOUT_S = 900.0  # a question waits behind every other user's: long on two busy cores


@dataclass(frozen=True)
class Load:
    users: int
    asked: int
    answered: int  # a 200 whose object is the answer to the question that user asked
    mixed: int  # a 200 carrying another question's answer
    failed: int  # any other status, or no answer at all
    seconds: float  # wall time of the whole round
    latencies: tuple[float, ...]  # per answered question, from its request to its answer

    @property
    def per_minute(self) -> float:
        return 60 * self.answered / self.seconds if self.seconds else 0.0

    def to_json(self) -> dict:
        return {"users": self.users, "asked": self.asked, "answered": self.answered, "mixed": self.mixed,
                "failed": self.failed, "seconds": round(self.seconds, 1),
                "answers_per_minute": round(self.per_minute, 2),
                "latency_s_p50": round(statistics.median(self.latencies), 1) if self.latencies else None,
                "latency_s_max": round(max(self.latencies), 1) if self.latencies else None}


def ask(url: str, question: str) -> tuple[int, dict | None]:
    body = json.dumps({"question": question}).encode()
    request = urllib.request.Request(url + "api/ask", body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (urllib.error.URLError, OSError, ValueError):
        return 0, None


def one_round(url: str, questions: Sequence[str], users: int, total: int,
              asker: Callable[[str, str], tuple[int, dict | None]] = ask) -> Load:
    """`users` threads at once sharing the first `total` questions (wrapping around the list): user u asks
    questions u, u + users, u + 2 * users…"""
    results: list[tuple[str, float, int, dict | None]] = []
    lock = threading.Lock()

    def user(u: int) -> None:
        for i in range(u, total, users):
            question = questions[i % len(questions)]
            began = time.perf_counter()
            status, record = asker(url, question)
            with lock:
                results.append((question, time.perf_counter() - began, status, record))

    threads = [threading.Thread(target=user, args=(u,)) for u in range(users)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    ok = [(q, s, r) for q, s, status, r in results if status == 200 and r is not None]
    own = [(q, s) for q, s, r in ok if r.get("question") == q and "answer" in r]
    return Load(users, len(results), len(own), len(ok) - len(own), len(results) - len(ok), seconds,
                tuple(s for _, s in own))


def run_users(questions: Sequence[str], counts: Sequence[int], total: int, env: Mapping[str, str],
              report: Callable[[str], None] = print) -> list[Load]:
    """Start the server once, warm it with one question, then one round per user count."""
    loads = []
    with started(env) as (url, ready):
        report(f"server ready in {ready.models_s or ready.seconds:.1f} s at {url}")
        ask(url, questions[0])
        for users in counts:
            load = one_round(url, questions, users, total)
            report(row(load))
            loads.append(load)
    return loads


def row(load: Load) -> str:
    p50 = f"{statistics.median(load.latencies):.1f}" if load.latencies else "-"
    return (f"{load.users:>5} users  {load.answered:>3}/{load.asked} answered  {load.mixed} mixed  "
            f"{load.failed} failed  {load.seconds:7.1f} s  {load.per_minute:5.2f} answers/min  p50 {p50} s")
