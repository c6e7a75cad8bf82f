"""A yes/no question that states a figure ('Will the market reach US$16.02 billion by 2030?') is settled
by the report's own clause, without the model: yes when a passage attaches that figure to what the
question attaches it to, no when the passages attach it only to another year or class."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.binding import Mention, classes_in, mentions, mentions_name, subjects_in
from bot.chunk import sentences_of
from bot.glossary import terms_in
from bot.normalize import figures, fold, normalize_numbers
from bot.prompts import INSTEAD, SETTLED, TRANSLATED
from bot.questions import is_yes_no
from bot.quote import bare, readable
from bot.types import Language, Passage


MAX_QUOTE_CHARS = 240
_CURRENCY = {"US", "USD"}  # 'US' in 'US$16.02 billion' is the figure's currency, not a name to find beside it


@dataclass(frozen=True)
class Said:
    n: int  # the passage's number, 1-based
    words: str  # the clause in the reader's language: the report's own, or its English rendering
    translated: bool


@dataclass(frozen=True)
class Settled:
    yes: bool
    said: Said  # where the report states the question's figure
    instead: Said | None = None  # for a no: what the report states for the year asked
    asked: str = ""  # the year asked, for a no that has one


def settle(question: str, passages: Sequence[Passage], language: Language,
           read: Sequence[str | None] = ()) -> Settled | None:
    """Yes or no from the passages, or None when the question states no figure, is not a yes/no question,
    or the passages do not settle it (the figure is not theirs, or not said of what the question names)."""
    if not is_yes_no(question):
        return None
    claims = [m for m in mentions(question) if m.unit != "label"]
    if len(claims) != 1:
        return None
    claim, asked_classes = claims[0], classes_in(question)
    names = [n for n in dict.fromkeys(subjects_in(question) + terms_in(question)) if n.upper() not in _CURRENCY]
    stated = [(n, m) for n, p in enumerate(passages, 1) for s in sentences_of(p.chunk.text) for m in mentions(s)
              if m.unit == claim.unit and all(mentions_name(name, m.sentence) for name in names)]
    same = [(n, m) for n, m in stated if m.value == claim.value]
    if not same:
        return None
    counted = _counted(question, claim.value) if claim.unit == "count" else None
    confirming = [(n, m) for n, m in same if _confirms(m, claim.years, asked_classes)]
    if confirming:
        said = _in_language(*confirming[0], language, passages, read)
        return Settled(True, said) if said and _counts(said, counted) else None
    if not all(_conflicts(m, claim.years, asked_classes) for _, m in same):
        return None  # the passages state the figure without saying for which year or class
    n, m = same[0]
    said = _in_language(n, m, language, passages, read)
    if said is None or not _counts(said, counted):
        return None
    right = [(k, r) for k, r in stated if claim.years and _confirms(r, claim.years, asked_classes)]
    instead = _in_language(*right[0], language, passages, read) if right else None
    if instead and instead.words == said.words:
        instead = None  # one sentence states both (an English rendering keeps the French sentence whole)
    return Settled(False, said, instead, ", ".join(sorted(claim.years)) if instead else "")


def _counted(question: str, value: str) -> str | None:
    """What a count in the question counts: '92 dispositifs' -> 'dispositifs', '100 devices' -> 'devices'."""
    pattern = rf"(?<![\d.]){re.escape(value)}\+?\s+(?:de\s+|d['’])?([^\W\d_]{{3,}})"
    match = re.search(pattern, normalize_numbers(question))
    return match.group(1) if match else None


def _counts(said: Said, counted: str | None) -> bool:
    """The clause quoted counts the same thing ('100 hospitals' does not answer '100 devices?')."""
    return not counted or fold(counted)[:6] in fold(said.words)


def _confirms(stated: Mention, years: frozenset[str], classes: set[str]) -> bool:
    """The passage attaches the figure to every year and class the question attaches it to."""
    return (not years or bool(stated.years & years)) and (not classes or bool(classes_in(stated.sentence) & classes))


def _conflicts(stated: Mention, years: frozenset[str], classes: set[str]) -> bool:
    """The passage attaches the figure to another year or another class than the question does."""
    stated_classes = classes_in(stated.sentence)
    return bool(years and stated.years and not stated.years & years) \
        or bool(classes and stated_classes and not stated_classes & classes)


def _in_language(n: int, mention: Mention, language: Language, passages: Sequence[Passage],
                 read: Sequence[str | None]) -> Said | None:
    """The clause stating a figure in the reader's language (bot.quote.readable): the report's words, the
    whole sentence unless it is long; for an English reader of a French passage, the sentence of its
    English rendering that holds the same figures. None if the passage has none in that language."""
    sentences = [(s, translated) for (k, s), translated in readable(passages, language, read).items() if k == n]
    if sentences and not sentences[0][1]:
        words = mention.sentence if len(mention.sentence) <= MAX_QUOTE_CHARS else mention.segment
        return Said(n, bare(words), False)
    wanted = set(figures(mention.sentence))
    return next((Said(n, bare(s), True) for s, _ in sentences if wanted <= set(figures(s))), None)


def settled_text(settled: Settled, language: Language) -> str:
    """'No. The report says: “…” [1]. For 2030, it says: “…” [1].'"""
    def quoted(template: dict, said: Said, **more) -> str:
        return template[language].format(sentence=said.words, n=said.n,
                                         translated=TRANSLATED[said.translated][language], **more)

    text = quoted(SETTLED[settled.yes], settled.said)
    return f"{text}. {quoted(INSTEAD, settled.instead, asked=settled.asked)}." if settled.instead else f"{text}."
