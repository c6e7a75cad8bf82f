"""One Settings object; the only place that reads environment variables."""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
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
    # Retrieval
    retrieval: str = "dense"  # dense | hybrid | bm25 (dense leads on the gold set: eval/report.md)
    top_k: int = 4
    rrf_k: int = 60
    min_similarity: float = 0.25  # below this, the report does not cover the question
    # A table row that leads the next passage by this much is given to the model alone
    # (neighbouring rows share its words and the model picks the wrong one: eval/report.md).
    table_focus_margin: float = 0.08
    # Generation
    threads: int = max(1, min(4, os.cpu_count() or 1))
    context_tokens: int = 4096
    max_answer_tokens: int = 220
    embed_bf16: bool = True
    # Input
    max_question_chars: int = 1000
    # UI
    host: str = "127.0.0.1"
    port: int = 7860
    concurrency: int = 1
    max_queue: int = 16

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)


_ENV = {
    "BOT_CORPUS_DIR": ("corpus_dir", Path),
    "BOT_INDEX_DIR": ("index_dir", Path),
    "BOT_CACHE_DIR": ("cache_dir", Path),
    "BOT_FEEDBACK_PATH": ("feedback_path", Path),
    "BOT_GENERATOR": ("generator", str),
    "BOT_TOP_K": ("top_k", int),
    "BOT_RETRIEVAL": ("retrieval", str),
    "BOT_THREADS": ("threads", int),
    "BOT_HOST": ("host", str),
    "BOT_PORT": ("port", int),
}


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    changes = {}
    for var, (name, cast) in _ENV.items():
        if env.get(var):
            try:
                changes[name] = cast(env[var])
            except ValueError:
                raise BotError(f"{var}={env[var]!r} is not a valid {cast.__name__}.") from None
    settings = Settings(**changes)
    if settings.generator not in ("1.5b", "0.5b"):
        raise BotError(f"BOT_GENERATOR must be 1.5b or 0.5b, not {settings.generator!r}.")
    if settings.retrieval not in ("hybrid", "dense", "bm25"):
        raise BotError(f"BOT_RETRIEVAL must be hybrid, dense or bm25, not {settings.retrieval!r}.")
    return settings
