"""A yes/no question that states a figure ('Will the market reach US$16.02 billion by 2030?') is settled
by the report's own clause, without the model: yes when a passage attaches that figure to what the
question attaches it to, no when the passages attach it only to another year or class, and 'the report
does not give that figure' with the clause it does give for that year, class or thing counted when the
report states the figure nowhere ('Will the market reach US$20 billion by 2030?')."""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.binding import Mention, classes_in, mentions, mentions_name, scale_of, subjects_in
from bot.chunk import sentences_of
from bot.glossary import terms_in
from bot.normalize import figures, fold, normalize_numbers
from bot.prompts import INSTEAD, NOT_GIVEN, SETTLED, TRANSLATED
from bot.questions import is_yes_no
from bot.quote import bare, readable
from bot.types import Chunk, Language, Passage


MAX_QUOTE_CHARS = 240
_CURRENCY = {"US", "USD"}  # 'US' in 'US$16.02 billion' is the figure's currency, not a name to find beside it
Figure = tuple[str, str, str | None]  # unit, canonical value, scale ('e9') or None when none is written


@dataclass(frozen=True)
class Said:
    n: int  # the passage's number, 1-based
    words: str  # the clause in the reader's language: the report's own, or its English rendering
    translated: bool


@dataclass(frozen=True)
class Settled:
    yes: bool
    said: Said | None  # where the report states the question's figure; None when it states it nowhere
    instead: Said | None = None  # for a no: what the report states for the year asked
    asked: str = ""  # the year asked, for a no that has one


def report_figures(chunks: Iterable[Chunk]) -> frozenset[Figure]:
    """Every figure the report states (passages addressed to an assistant left out)."""
    return frozenset(_figure(m) for c in chunks if not c.flagged for s in sentences_of(c.text) for m in mentions(s))


def settle(question: str, passages: Sequence[Passage], language: Language,
           read: Sequence[str | None] = (), stated_in_report: frozenset[Figure] | None = None) -> Settled | None:
    """Yes or no from the passages, or None when the question states no figure, is not a yes/no question,
    or the passages do not settle it (the figure is not theirs, or not said of what the question names).
    With the report's figures (`stated_in_report`), a figure the report states nowhere is answered by what
    the passages state for the same year, class or thing counted, when they state exactly one figure for it."""
    if not is_yes_no(question):
        return None
    claims = [m for m in mentions(question) if m.unit != "label"]
    if len(claims) != 1:
        return None
    claim, asked_classes = claims[0], classes_in(question)
    names = [n for n in dict.fromkeys(subjects_in(question) + terms_in(question)) if n.upper() not in _CURRENCY]
    stated = [(n, m) for n, p in enumerate(passages, 1) for s in sentences_of(p.chunk.text) for m in mentions(s)
              if m.unit == claim.unit and all(mentions_name(name, m.sentence) for name in names)]
    same = [(n, m) for n, m in stated if _same(m, claim)]
    counted = _counted(question, claim.value) if claim.unit == "count" else None
    if not same:
        if stated_in_report is None or any(_same_figure(f, _figure(claim)) for f in stated_in_report):
            return None
        return _not_given(claim, asked_classes, bool(names), counted, stated, language, passages, read)
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


def _not_given(claim: Mention, classes: set[str], named: bool, counted: str | None,
               stated: list[tuple[int, Mention]], language: Language, passages: Sequence[Passage],
               read: Sequence[str | None]) -> Settled | None:
    """'The report does not give that figure. For 2030, it says: …': the one figure the passages state
    for every year, class, name and thing counted the question attaches its figure to (at least one)."""
    if not (claim.years or classes or named or counted):
        return None
    right = [(n, m) for n, m in stated if _confirms(m, claim.years, classes)]
    if len({_figure(m) for _, m in right}) != 1:
        return None  # nothing to set beside it, or several figures to choose from
    instead = _in_language(*right[0], language, passages, read)
    if instead is None or not _counts(instead, counted):
        return None
    return Settled(False, None, instead, ", ".join(sorted(claim.years)))


def _figure(m: Mention) -> Figure:
    """The figure with its scale, for an amount: ('amount', '18.88', 'e9')."""
    return m.unit, m.value, scale_of(m)


def _same_figure(a: Figure, b: Figure) -> bool:
    """The same unit and value, and the same scale where both write one."""
    return a[:2] == b[:2] and (a[2] is None or b[2] is None or a[2] == b[2])


def _same(stated: Mention, claim: Mention) -> bool:
    return _same_figure(_figure(stated), _figure(claim))


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

    if settled.said is None:
        lead = NOT_GIVEN[language]
        return f"{lead} {quoted(INSTEAD[bool(settled.asked)], settled.instead, asked=settled.asked)}."
    text = quoted(SETTLED[settled.yes], settled.said)
    return f"{text}. {quoted(INSTEAD[True], settled.instead, asked=settled.asked)}." if settled.instead else f"{text}."
