"""Answers and sources as safe Markdown/HTML for the chat UI, and conversations as Markdown (pure)."""
from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence

from bot.cite import MARKER, split_answer
from bot.chunk import sentences_of
from bot.normalize import figures, fold
from bot.prompts import REASONS, UI
from bot.types import Answer, Chunk, Citation, Language, Passage

# Markdown characters that could turn user or model text into links, images or formatting.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~])")

Scorer = Callable[[str, list[str]], list[float]]
Supports = Mapping[int, str]  # citation number -> the sentence of its passage that supports the answer


def escape_markdown(text: str) -> str:
    """Shown as typed: HTML is escaped and Markdown syntax neutralised."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def answer_markdown(answer: Answer) -> str:
    """The answer as Markdown, each [n] a link to source n in the sources panel (the page's script opens it
    in the report view: `citation_map`); a refusal says why and which passages came nearest, each a link
    to its card in the panel."""
    text = escape_markdown(answer.text)
    text = re.sub(r"\\\[(\d+)\\\]", lambda m: f"[[{m.group(1)}]](#source-{m.group(1)})", text)
    return (text + _refusal_markdown(answer)) if answer.abstained else text


def why(answer: Answer) -> str:
    """Why the answer is a refusal, in plain words ("" when it answers or the reason has no sentence)."""
    reason = REASONS.get(answer.reason, {}).get(answer.language)
    return UI["why"][answer.language].format(reason=reason) if answer.abstained and reason else ""


def nearest_passages(answer: Answer, n: int = 3) -> list[Passage]:
    """For a refusal, the passages found that came nearest (not those addressed to an assistant)."""
    return [p for p in answer.passages if not p.chunk.flagged][:n] if answer.abstained else []


def _excerpt(text: str, chars: int = 140) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= chars else flat[:chars].rsplit(" ", 1)[0] + " …"


def _refusal_markdown(answer: Answer) -> str:
    parts = [f"*{escape_markdown(why(answer))}*"] if why(answer) else []
    nearest = nearest_passages(answer)
    if nearest:
        intro = UI["nearest_intro"][answer.language].format(title=f"**{UI['nearest'][answer.language]}**")
        parts.append("\n".join([intro, *(f"- [{escape_markdown(p.chunk.location)}](#nearest-{k}) — "
                                          f"« {escape_markdown(_excerpt(p.chunk.text))} »"
                                          for k, p in enumerate(nearest, 1))]))
    return "".join("\n\n" + part for part in parts)


def _word_overlap(claim: str, sentences: list[str]) -> list[float]:
    words = {w for w in re.findall(r"\w{4,}", fold(claim))}
    nums = set(figures(claim))
    scores = []
    for s in sentences:
        own = set(re.findall(r"\w{4,}", fold(s)))
        scores.append(len(words & own) + 3 * len(nums & set(figures(s))))
    return scores


def supporting_sentence(text: str, citation: Citation, score: Scorer | None = None) -> str:
    """The sentence of the cited passage that best supports the sentences of the answer `text` citing it:
    shared words and figures, and with `score`, closeness of meaning."""
    claims = [MARKER.sub("", s) for s in split_answer(text) if f"[{citation.n}]" in s]
    sentences = sentences_of(citation.chunk.text)
    if not claims or not sentences:
        return ""
    totals = [0.0] * len(sentences)
    for claim in claims:
        lexical = _word_overlap(claim, sentences)
        semantic = score(claim, sentences) if score else [0.0] * len(sentences)
        totals = [t + lex + 4 * sem for t, lex, sem in zip(totals, lexical, semantic)]
    return sentences[max(range(len(sentences)), key=totals.__getitem__)]


def supports(text: str, citations: Sequence[Citation], score: Scorer | None = None) -> dict[int, str]:
    """Each citation's supporting sentence (the sources panel marks it, a click on [n] highlights it in
    the report); chosen once per answer by the caller, who gives the same to both."""
    return {c.n: s for c in citations if (s := supporting_sentence(text, c, score))}


def citation_map(answers: Sequence[Answer], support: Callable[[Answer], Supports] | None = None) -> str:
    """What a click on [n] in the chat opens, hidden in the page: for each answer with citations, counted
    back from the last one (as the page counts the chat's answers with links, so that a stopped question
    or a trimmed conversation shifts nothing), each marker's passage and supporting sentence."""
    choose = support or (lambda a: supports(a.text, a.citations))
    entries = []
    for back, answer in enumerate(a for a in reversed(answers) if a.citations and not a.abstained):
        chosen = choose(answer)
        spans = "".join(f'<span data-n="{c.n}" data-chunk="{html.escape(c.chunk.id)}">'
                        f'{html.escape(chosen.get(c.n, ""))}</span>' for c in answer.citations)
        entries.append(f'<div data-back="{back}">{spans}</div>')
    return f'<div class="citation-map" hidden>{"".join(entries)}</div>'


def sources_html(answer: Answer | None, language: Language, support: Supports | None = None,
                 translations: dict[int, str] | None = None) -> str:
    """The cited passages with number, section, location, text; the supporting sentence marked. Retrieved
    passages that address an AI assistant follow, quoted under a warning, so the reader sees them."""
    flagged = _flagged_cards(answer, language) if answer else ""
    if answer is None or answer.abstained or not answer.citations:
        empty = {"fr": "Aucune source pour cette réponse.", "en": "No sources for this answer."}[language]
        nearest = _nearest_cards(answer, language) if answer else ""
        return f'<div class="sources"><p class="empty">{empty}</p>{nearest}{flagged}</div>'
    support = supports(answer.text, answer.citations) if support is None else support
    cards = []
    for citation in answer.citations:
        chunk = citation.chunk
        body = html.escape(chunk.text)
        sentence = support.get(citation.n, "")
        if sentence:
            body = body.replace(html.escape(sentence), f"<mark>{html.escape(sentence)}</mark>", 1)
        body = body.replace("\n", "<br>")
        extra = ""
        if translations and citation.n in translations:
            extra = f'<p class="translation"><em>{html.escape(translations[citation.n])}</em></p>'
        cards.append(
            f'<div class="source" id="source-{citation.n}"{_opens(chunk, language)}>'
            f'<p class="head"><b>[{citation.n}]</b> '
            f'{html.escape(chunk.location)}<br><small>{html.escape(chunk.source)}</small></p>'
            f'{_warning(chunk, language)}<p class="text">{body}</p>{extra}</div>'
        )
    return f'<div class="sources"><h3>{UI["sources"][language]}</h3>{"".join(cards)}{flagged}</div>'


def _nearest_cards(answer: Answer, language: Language) -> str:
    """A refusal's nearest passages, in full, so the reader can rephrase with the report's words."""
    nearest = nearest_passages(answer)
    if not nearest:
        return ""
    cards = "".join(
        f'<div class="source nearest" id="nearest-{k}"{_opens(p.chunk, language)}>'
        f'<p class="head">{html.escape(p.chunk.location)}<br>'
        f'<small>{html.escape(p.chunk.source)}</small></p>'
        f'<p class="text">{html.escape(p.chunk.text).replace(chr(10), "<br>")}</p></div>'
        for k, p in enumerate(nearest, 1))
    return f'<h3>{UI["nearest"][language]}</h3>{cards}'


def _opens(chunk: Chunk, language: Language) -> str:
    """A card names its passage, so that a click opens the report there (bot/report_view.py, the page's script)."""
    return f' data-chunk="{html.escape(chunk.id)}" title="{html.escape(UI["in_report"][language])}"'


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
        if why(answer):
            lines += [f"*{why(answer)}*", ""]
        for c in answer.citations:
            quoted = "\n> ".join(c.chunk.text.splitlines())
            lines += [f"[{c.n}] {c.chunk.location} ({c.chunk.source})", "", f"> {quoted}", ""]
    return "\n".join(lines)
