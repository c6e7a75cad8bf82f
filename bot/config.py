"""One Settings object; the only place that reads environment variables."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.errors import BotError

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = ROOT / "corpus"
    index_dir: Path = ROOT / "index"
    cache_dir: Path = Path.home() / ".cache" / "ia-sante-bot"
    feedback_path: Path = ROOT / "feedback" / "feedback.jsonl"
    generator: str = "1.5b"  # key of bot.models.GENERATORS
    # Chunking
    chunk_chars: int = 700
    headings_in_embedding: bool = True
    # Past this many chunks the vector index is approximate (HNSW, bot/vectors.py), its recall in the manifest
    hnsw_above: int = 50_000
    # Retrieval
    retrieval: str = "dense"  # dense | hybrid | bm25 (dense leads on the gold set: eval/report.md)
    top_k: int = 4
    rrf_k: int = 60
    # Below this, the report does not cover the question. Off-topic questions score under 0.20 ("What is
    # the price of Bitcoin?" 0.19), short English questions about the report from 0.22 ("Main risks?",
    # "What are the three entry modes?" 0.24): English meets the French passages lower (eval/ablations.md).
    min_similarity: float = 0.21
    # A table row that leads the next passage by this much is given to the model alone
    # (neighbouring rows share its words and the model picks the wrong one: eval/report.md).
    table_focus_margin: float = 0.08
    table_max_rows: int = 5  # an overview question gets a table's lead and up to this many rows
    # The model reads the first two passages and those after them down to the last one within this much
    # of the closest passage's similarity; the others are still checked against, quoted and shown
    # (docs/PERFORMANCE.md: a quarter fewer passages read; no right gold answer cited one left out).
    read_margin: float = 0.12
    # Generation
    threads: int = max(1, min(4, os.cpu_count() or 1))
    context_tokens: int = 4096
    # Saved prompt starts (the system prompt and passage [1], bot/prefixes.py), about 9 MB each: at most this
    # many are kept, the least recently used removed first; 0 saves none. The report needs 112.
    saved_prefixes: int = 200
    max_answer_tokens: int = 220
    embed_bf16: bool = True
    # Generation by an OpenAI-compatible server instead of in-process (bot/remote.py); empty: in-process
    llm_url: str = ""  # base URL, e.g. http://127.0.0.1:8080/v1
    llm_model: str = ""  # model name sent; empty: the file name of `generator`
    llm_api_key: str = field(default="", repr=False)  # sent as a Bearer token, never shown
    llm_connect_seconds: float = 10.0
    llm_read_seconds: float = 120.0  # the longest silence: a busy server may queue the question
    # What the server's prompt cache may share with a prompt: "system", the system prompt and passage [1],
    # computed as in-process (the same answers); "longest", any prefix (a near-tied token may flip)
    llm_cache: str = "system"
    # Bounds on what one question may cost (docs/ROBUSTNESS.md)
    max_question_chars: int = 1000
    history_turns: int = 2  # the previous question and its answer
    history_chars: int = 600  # per turn given back to the model
    max_answer_seconds: float = 60.0  # a question still running after this is ended
    # English renderings of the passages' lines, made by `python -m bot render` (bot/renderings.py)
    renderings_path: Path = ROOT / "index" / "renderings.en.jsonl"
    # UI
    host: str = "127.0.0.1"
    port: int = 7860
    # Questions answered at once: 1 in-process (one llama.cpp context); with a generation server, its slots
    concurrency: int = 1
    max_queue: int = 16  # questions waiting; the next one is told the service is busy
    # An HTTP request body (the page sends the conversation shown), or a line of `ask --jsonl`
    max_request_bytes: int = 1_000_000
    max_exchanges: int = 50  # questions and answers kept per conversation, in the page and in memory
    max_sessions: int = 1000  # conversations kept in memory; the oldest is forgotten first
    # Suggested questions: the gold set's, those the last evaluation answered correctly (bot/suggest.py)
    gold_path: Path = ROOT / "eval" / "gold.jsonl"
    results_path: Path = ROOT / "eval" / "results.json"

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)


_ENV = {
    "BOT_CORPUS_DIR": ("corpus_dir", Path),
    "BOT_INDEX_DIR": ("index_dir", Path),
    "BOT_CACHE_DIR": ("cache_dir", Path),
    "BOT_FEEDBACK_PATH": ("feedback_path", Path),
    "BOT_GENERATOR": ("generator", str),
    "BOT_TOP_K": ("top_k", int),
    "BOT_READ_MARGIN": ("read_margin", float),
    "BOT_SAVED_PREFIXES": ("saved_prefixes", int),
    "BOT_HNSW_ABOVE": ("hnsw_above", int),
    "BOT_RETRIEVAL": ("retrieval", str),
    "BOT_THREADS": ("threads", int),
    "BOT_HOST": ("host", str),
    "BOT_PORT": ("port", int),
    "BOT_MAX_QUESTION_CHARS": ("max_question_chars", int),
    "BOT_HISTORY_TURNS": ("history_turns", int),
    "BOT_HISTORY_CHARS": ("history_chars", int),
    "BOT_MAX_ANSWER_TOKENS": ("max_answer_tokens", int),
    "BOT_MAX_ANSWER_SECONDS": ("max_answer_seconds", float),
    "BOT_MAX_QUEUE": ("max_queue", int),
    "BOT_CONCURRENCY": ("concurrency", int),
    "BOT_MAX_REQUEST_BYTES": ("max_request_bytes", int),
    "BOT_MAX_EXCHANGES": ("max_exchanges", int),
    "BOT_MAX_SESSIONS": ("max_sessions", int),
    "BOT_LLM_URL": ("llm_url", str),
    "BOT_LLM_MODEL": ("llm_model", str),
    "BOT_LLM_API_KEY": ("llm_api_key", str),
    "BOT_LLM_CACHE": ("llm_cache", str),
}
# Bounds that must be positive, and those that may be 0 (history_turns 0: no follow-ups).
_POSITIVE = ("BOT_MAX_QUESTION_CHARS", "BOT_HISTORY_CHARS", "BOT_MAX_ANSWER_TOKENS", "BOT_MAX_ANSWER_SECONDS",
             "BOT_MAX_QUEUE", "BOT_MAX_REQUEST_BYTES", "BOT_MAX_EXCHANGES", "BOT_MAX_SESSIONS", "BOT_CONCURRENCY")
_NOT_NEGATIVE = ("BOT_HISTORY_TURNS", "BOT_READ_MARGIN", "BOT_SAVED_PREFIXES")


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    changes = {}
    for var, (name, cast) in _ENV.items():
        if env.get(var):
            try:
                changes[name] = cast(env[var])
            except ValueError:
                raise BotError(f"{var}={env[var]!r} is not a valid {cast.__name__}.") from None
    for var in _POSITIVE:
        name = _ENV[var][0]
        if name in changes and not changes[name] > 0:
            raise BotError(f"{var} must be above 0, not {env[var]!r}.")
    for var in _NOT_NEGATIVE:
        name = _ENV[var][0]
        if name in changes and not changes[name] >= 0:
            raise BotError(f"{var} must be 0 or more, not {env[var]!r}.")
    settings = Settings(**changes)
    if settings.generator not in ("1.5b", "0.5b"):
        raise BotError(f"BOT_GENERATOR must be 1.5b or 0.5b, not {settings.generator!r}.")
    if settings.retrieval not in ("hybrid", "dense", "bm25"):
        raise BotError(f"BOT_RETRIEVAL must be hybrid, dense or bm25, not {settings.retrieval!r}.")
    if settings.llm_cache not in ("system", "longest"):
        raise BotError(f"BOT_LLM_CACHE must be system or longest, not {settings.llm_cache!r}.")
    checked_llm_url(settings.llm_url)
    if settings.concurrency > 1 and not settings.llm_url:
        raise BotError(f"BOT_CONCURRENCY={settings.concurrency} needs BOT_LLM_URL: the model in this process "
                       "answers one question at a time.")
    return settings


def checked_llm_url(url: str) -> str:
    """A generation server's base URL (BOT_LLM_URL or `eval --llm-url`), or "" for none."""
    if url and not url.startswith(("http://", "https://")):
        raise BotError(f"BOT_LLM_URL must start with http:// or https://, not {url!r}.")
    return url
