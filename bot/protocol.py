"""The question protocol of `ask --jsonl` and the HTTP API: one request read, checked and cleaned; error objects."""
from __future__ import annotations

import json
from typing import NamedTuple

from bot.errors import InputError
from bot.prompts import error_message
from bot.sanitize import clean_question, clean_text
from bot.types import Language, Turn


class AskRequest(NamedTuple):
    """One question as sent (an `ask --jsonl` line or an API body), checked and cleaned."""

    question: str
    history: list[Turn]
    language: Language | None  # the reader's language when the request names it


def parse_line(line: str) -> AskRequest:
    """A plain line is a question; a line starting with { or [ is JSON (see `parse_json`)."""
    if not clean_text(line).startswith(("{", "[")):
        return AskRequest(clean_question(line), [], None)
    return parse_json(line)


def parse_json(text: str) -> AskRequest:
    """An object with a "question" string, optionally a "history" list of turns and a "language"
    ("fr" or "en"). Anything else, at any depth, is an InputError (protocol errors in English).
    Every text that is kept is cleaned."""
    from bot.pipeline import history_from  # the pipeline's imports are heavy; a plain line needs none

    try:  # the text as sent: cleaning first could break a valid string (a raw U+2028 becoming a newline)
        item = json.loads(text.strip().lstrip("\ufeff"))
    except RecursionError:
        raise InputError(error_message("too_deep", "en")) from None
    except ValueError as exc:
        raise InputError(error_message("bad_json", "en", detail=exc)) from None
    if not isinstance(item, dict) or not isinstance(item.get("question"), str):
        raise InputError(error_message("no_question", "en"))
    history = item.get("history")
    if not isinstance(history, list | None):
        raise InputError(error_message("bad_history", "en"))
    language = item.get("language")
    if not (language is None or language in ("fr", "en")):
        raise InputError(error_message("bad_language", "en"))
    turns = [Turn(t.role, clean_text(t.content)) for t in history_from(history or [])]
    return AskRequest(clean_question(item["question"]), turns, language)


def error_record(question: str, message: str) -> dict[str, str]:
    """What is answered instead of an answer object: the question (as far as it could be read) and why."""
    return {"question": question, "error": message}
