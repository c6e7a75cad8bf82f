"""Every prompt and every fixed user-facing sentence, in French and English."""
from __future__ import annotations

from bot.types import Language, Passage, Turn

NOT_FOUND = "NOT_FOUND"

# Kept identical across questions so llama.cpp computes this prefix once and reuses it.
SYSTEM = (
    "You answer investors' questions about a French market report on AI in healthcare in China, "
    "using only the numbered passages given with each question.\n"
    "Rules:\n"
    "- Answer exactly what is asked, in complete sentences, in the language requested.\n"
    "- End each sentence with the number of the passage it comes from, like [2].\n"
    "- Keep names and figures exactly as the passage writes them; translate the other words.\n"
    "- When the question asks for several things (barriers, models, companies, zones), list all of them.\n"
    "- If the passages do not state what is asked (another country, year, company, person or figure), "
    f"reply only {NOT_FOUND}. Never give a figure that the passages attach to something else."
)

LANGUAGE_NAME = {"fr": "French", "en": "English"}

TRANSLATE = "Translate this passage from a French report into {language}. Reply with the translation only."
TRANSLATE_ANSWER = ("Translate this sentence into {language}. Keep names and figures exactly as written. "
                    "Reply with the translation only.")

ANSWER_IN = {"fr": "Réponds en français.", "en": "Answer in English."}

YEAR_HINT = {
    "fr": "Attention : la question porte sur {years}. Les passages disent : {quotes}",
    "en": "Note: the question is about {years}. The passages say: {quotes}",
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
    "bad_json": {"fr": "Ligne JSON illisible : {detail}", "en": "Unreadable JSON line: {detail}"},
    "no_question": {"fr": 'Une ligne JSON doit contenir une chaîne "question".',
                    "en": 'A JSON line needs a "question" string.'},
    "bad_history": {"fr": 'history doit être une liste de {{"role": "user"|"assistant", "content": str}}.',
                    "en": 'history must be a list of {{"role": "user"|"assistant", "content": str}}.'},
}

UI = {
    "title": {"fr": "IA en santé en Chine — questions au rapport", "en": "AI in healthcare in China — ask the report"},
    "intro": {
        "fr": "Posez une question en français ou en anglais. Chaque réponse vient du rapport seul et cite "
              "ses passages ; si le rapport ne dit rien, la réponse le dit.",
        "en": "Ask in French or English. Every answer comes from the report alone and cites its passages; "
              "when the report says nothing, the answer says so.",
    },
    "question": {"fr": "Votre question", "en": "Your question"},
    "placeholder": {"fr": "Ex. : Quelles sont les principales barrières à l'entrée ?",
                    "en": "E.g. What are the main barriers to entry?"},
    "send": {"fr": "Envoyer", "en": "Send"},
    "stop": {"fr": "Arrêter", "en": "Stop"},
    "stopped": {"fr": "Arrêté.", "en": "Stopped."},
    "export": {"fr": "Exporter la conversation (Markdown)", "en": "Export the conversation (Markdown)"},
    "translate": {"fr": "Traduire les sources", "en": "Translate the sources"},
    "comment": {"fr": "Commentaire (facultatif, envoyé avec le pouce levé ou baissé)", "en": "Comment (optional, sent with thumbs up or down)"},
    "searching": {"fr": "Recherche dans le rapport…", "en": "Searching the report…"},
    "writing": {"fr": "Rédaction de la réponse…", "en": "Writing the answer…"},
    "done": {"fr": "Réponse en {seconds}.", "en": "Answered in {seconds}."},
    "sources": {"fr": "Sources", "en": "Sources"},
    "thanks": {"fr": "Merci, votre avis est enregistré.", "en": "Thank you, your feedback is saved."},
    "nothing_to_rate": {"fr": "Rien à évaluer.", "en": "Nothing to rate."},
    "internal_error": {"fr": "Une erreur interne est survenue ; réessayez.",
                       "en": "An internal error occurred; please try again."},
}

EXAMPLES = [
    "Quelle est la taille prévue du marché de l'IA en santé en Chine en 2030 ?",
    "Quelles sont les options pour entrer sur le marché chinois ?",
    "What are the main barriers to entry for foreign companies?",
    "Which fast-track zones can foreign firms use to launch AI medical devices?",
]


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


def translation_messages(text: str, language: Language, answer: bool = False) -> list[dict[str, str]]:
    """A cited passage (or, with `answer`, a sentence of an answer) into `language`."""
    system = TRANSLATE_ANSWER if answer else TRANSLATE
    return [{"role": "system", "content": system.format(language=LANGUAGE_NAME[language])},
            {"role": "user", "content": text}]


def error_message(key: str, language: Language, **values) -> str:
    return ERRORS[key][language].format(**values)
