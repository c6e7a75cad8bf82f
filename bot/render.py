"""Answers and sources as safe Markdown/HTML for the chat UI, and conversations as Markdown (pure)."""
from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence

from bot.cite import MARKER, split_answer
from bot.chunk import sentences_of
from bot.normalize import figures, fold
from bot.prompts import UI
from bot.types import Answer, Chunk, Citation, Language

# Markdown characters that could turn user or model text into links, images or formatting.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~])")

Scorer = Callable[[str, list[str]], list[float]]


def escape_markdown(text: str) -> str:
    """Shown as typed: HTML is escaped and Markdown syntax neutralised."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def answer_markdown(answer: Answer) -> str:
    """The answer as Markdown, each [n] a link to source n in the sources panel."""
    text = escape_markdown(answer.text)
    return re.sub(r"\\\[(\d+)\\\]", lambda m: f"[[{m.group(1)}]](#source-{m.group(1)})", text)


def _word_overlap(claim: str, sentences: list[str]) -> list[float]:
    words = {w for w in re.findall(r"\w{4,}", fold(claim))}
    nums = set(figures(claim))
    scores = []
    for s in sentences:
        own = set(re.findall(r"\w{4,}", fold(s)))
        scores.append(len(words & own) + 3 * len(nums & set(figures(s))))
    return scores


def supporting_sentence(answer: Answer, citation: Citation, score: Scorer | None = None) -> str:
    """The sentence of the cited passage that best supports the answer's sentences citing it."""
    claims = [MARKER.sub("", s) for s in split_answer(answer.text) if f"[{citation.n}]" in s]
    sentences = sentences_of(citation.chunk.text)
    if not claims or not sentences:
        return ""
    totals = [0.0] * len(sentences)
    for claim in claims:
        lexical = _word_overlap(claim, sentences)
        semantic = score(claim, sentences) if score else [0.0] * len(sentences)
        totals = [t + lex + 4 * sem for t, lex, sem in zip(totals, lexical, semantic)]
    return sentences[max(range(len(sentences)), key=totals.__getitem__)]


def sources_html(answer: Answer | None, language: Language, score: Scorer | None = None,
                 translations: dict[int, str] | None = None) -> str:
    """The cited passages with number, section, location, text; the supporting sentence marked. Retrieved
    passages that address an AI assistant follow, quoted under a warning, so the reader sees them."""
    flagged = _flagged_cards(answer, language) if answer else ""
    if answer is None or answer.abstained or not answer.citations:
        empty = {"fr": "Aucune source pour cette réponse.", "en": "No sources for this answer."}[language]
        return f'<div class="sources"><p class="empty">{empty}</p>{flagged}</div>'
    cards = []
    for citation in answer.citations:
        chunk = citation.chunk
        body = html.escape(chunk.text)
        support = supporting_sentence(answer, citation, score)
        if support:
            body = body.replace(html.escape(support), f"<mark>{html.escape(support)}</mark>", 1)
        body = body.replace("\n", "<br>")
        extra = ""
        if translations and citation.n in translations:
            extra = f'<p class="translation"><em>{html.escape(translations[citation.n])}</em></p>'
        cards.append(
            f'<div class="source" id="source-{citation.n}"><p class="head"><b>[{citation.n}]</b> '
            f'{html.escape(chunk.location)}<br><small>{html.escape(chunk.source)}</small></p>'
            f'{_warning(chunk, language)}<p class="text">{body}</p>{extra}</div>'
        )
    return f'<div class="sources"><h3>{UI["sources"][language]}</h3>{"".join(cards)}{flagged}</div>'


def _warning(chunk: Chunk, language: Language) -> str:
    return f'<p class="warning"><strong>⚠ {UI["flagged"][language]}</strong></p>' if chunk.flagged else ""


def _flagged_cards(answer: Answer, language: Language) -> str:
    """Retrieved passages kept from the model because they address an assistant, each shown as a quotation."""
    cited = {c.chunk.id for c in answer.citations}
    cards = []
    for passage in answer.passages:
        chunk = passage.chunk
        if chunk.flagged and chunk.id not in cited:
            quoted = html.escape(chunk.text).replace("\n", "<br>")
            cards.append(
                f'<div class="source flagged"><p class="head">{html.escape(chunk.location)}<br>'
                f'<small>{html.escape(chunk.source)}</small></p>{_warning(chunk, language)}'
                f'<blockquote class="text">{quoted}</blockquote></div>'
            )
    return "".join(cards)


def conversation_markdown(answers: Sequence[Answer]) -> str:
    """Export: every question, its answer and the cited passages in full."""
    lines = ["# IA en santé en Chine — conversation", ""]
    for i, answer in enumerate(answers, 1):
        lines += [f"## {i}. {answer.question}", "", answer.text, ""]
        for c in answer.citations:
            quoted = "\n> ".join(c.chunk.text.splitlines())
            lines += [f"[{c.n}] {c.chunk.location} ({c.chunk.source})", "", f"> {quoted}", ""]
    return "\n".join(lines)
