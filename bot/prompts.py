"""Every prompt and every fixed user-facing sentence, in French and English."""
from __future__ import annotations

from bot.types import Language, Passage, Turn

NOT_FOUND = "NOT_FOUND"

# Kept identical across questions so llama.cpp reuses its computed prefix.
SYSTEM = (
    "You answer investors' questions about a French market report on AI in healthcare in China. "
    "Use only the numbered passages the user gives you.\n"
    "Rules:\n"
    "1. Answer in one to three complete sentences, or a short list when asked for several items.\n"
    "2. End every sentence with the number of the passage it comes from, like [2].\n"
    "3. Copy names and figures exactly as the passage writes them.\n"
    f"4. If no passage answers the question, reply only: {NOT_FOUND}"
)

LANGUAGE_NAME = {"fr": "French", "en": "English"}

ANSWER_IN = {
    "fr": "Answer in French (réponds en français), citing passages like [1].",
    "en": "Answer in English, citing passages like [1].",
}

NOT_COVERED = {
    "fr": "Le rapport ne traite pas de cette question.",
    "en": "The report does not cover this question.",
}

ERRORS = {
    "empty": {"fr": "La question est vide.", "en": "The question is empty."},
    "too_long": {
        "fr": "La question est trop longue ({n} caractères, maximum {max}).",
        "en": "The question is too long ({n} characters, at most {max}).",
    },
    "bad_json": {
        "fr": "Ligne JSON illisible : {detail}",
        "en": "Unreadable JSON line: {detail}",
    },
}

UI = {
    "title": {"fr": "IA en santé en Chine — questions au rapport", "en": "AI in healthcare in China — ask the report"},
    "searching": {"fr": "Recherche dans le rapport…", "en": "Searching the report…"},
    "writing": {"fr": "Rédaction de la réponse…", "en": "Writing the answer…"},
    "sources": {"fr": "Sources", "en": "Sources"},
}


def format_passage(n: int, passage: Passage) -> str:
    return f"[{n}] ({passage.chunk.section}) {passage.chunk.text}"


def build_messages(question: str, language: Language, passages: list[Passage],
                   history: list[Turn]) -> list[dict[str, str]]:
    """Chat messages for the generator: fixed system prompt, last exchange, passages, question."""
    messages = [{"role": "system", "content": SYSTEM}]
    for turn in history[-2:]:
        messages.append({"role": turn.role, "content": turn.content[:600]})
    body = "\n\n".join(format_passage(i, p) for i, p in enumerate(passages, 1))
    messages.append({
        "role": "user",
        "content": f"Passages:\n{body}\n\nQuestion: {question}\n{ANSWER_IN[language]}",
    })
    return messages


def error_message(key: str, language: Language, **values) -> str:
    return ERRORS[key][language].format(**values)
