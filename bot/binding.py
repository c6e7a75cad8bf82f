"""What a text attaches each figure to: its year, the names and class around it, its unit (pure)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from wordfreq import zipf_frequency

from bot.glossary import ENTITY_STOPWORDS, variants
from bot.normalize import fold, normalize_numbers

# A label: "niveau 3", "tier-2", "classe III". A duration is only ever asked for ("combien de mois"): the
# report states none.
Unit = Literal["share", "amount", "count", "label", "duration"]
DURATION_WORDS = r"mois|months?|ans|annees|years?|semaines|weeks?|jours|days?"  # folded

# Years in any script: "2030", "d'ici 2030", "by 2030", "2030年" (a CJK character is a word character,
# so \b would not see the year's end there).
YEAR = re.compile(r"(?<![\d.,])(?:19|20)\d{2}(?![\d%])")
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?:\s?%)?")
_AMOUNT_AFTER = re.compile(r"^\s*\+?\s*(?:milliards?|millions?|billions?|bn|trillions?"
                           r"|(?:de |of )?(?:dollars|usd|us\$|yuan|rmb|euros?))", re.IGNORECASE)
_AMOUNT_BEFORE = re.compile(r"(?:us\$|usd|\$|€|rmb|yuan)\s*$", re.IGNORECASE)
_CLASS = re.compile(r"\b(?:class|classe)\s+(iii|ii|iv|i|\d)\b", re.IGNORECASE)
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}
_LABEL_BEFORE = re.compile(r"(?:niveau|niveaux|tier|tiers|level|levels|class|classe|phase|plan|grade|rang)"
                           r"[\s-]*(?:\d+[\s-]*(?:et|and|,|-)\s*)?$", re.IGNORECASE)
_LABEL_AFTER = re.compile(r"^-?(?:tier|level|e|th)\b")  # "2-tier", "14e Plan"
# A name: a capitalised word (or an acronym) and the capitalised words that follow it.
_NAME = re.compile(r"\b(?:[A-Z][\w'’&-]*|[A-Z]{2,}\w*)(?:\s+(?:[A-Z][\w'’&-]*|\d{4}))*")


@dataclass(frozen=True)
class Mention:
    """One figure as a sentence states it."""

    value: str  # canonical: "16.02", "42.5%", "38000"
    unit: Unit
    years: frozenset[str]  # the years the sentence attaches to this figure (may be empty)
    sentence: str  # the sentence holding it, as written
    segment: str = ""  # the words that state it: "1.59 milliard de dollars US en 2023"


_CURRENCIES = (("usd", re.compile(r"us\$|\$|\busd\b|\bdollars?\b", re.IGNORECASE)),
               ("eur", re.compile(r"€|\beuros?\b|\beur\b", re.IGNORECASE)),
               ("cny", re.compile(r"¥|\byuans?\b|\brmb\b|\bcny\b|\brenminbi\b", re.IGNORECASE)))


# The scale written after an amount: '18,88 milliards' is not '18.88 million'.
_SCALES = {"milliard": "e9", "billion": "e9", "bn": "e9", "md": "e9", "mds": "e9", "million": "e6", "mn": "e6",
           "trillion": "e12", "thousand": "e3", "mille": "e3"}
_SCALE = re.compile(r"\s*(?:us\$|\$|€)?\s*(" + "|".join(sorted(_SCALES, key=len, reverse=True)) + r")s?\b")


def scale_of(mention: Mention) -> str | None:
    """The scale written right after an amount ('18,88 milliards' -> 'e9'), None if none is."""
    if mention.unit != "amount":
        return None
    written = rf"(?<![\d.]){re.escape(mention.value)}(?![\d])"
    match = re.search(written + _SCALE.pattern, fold(normalize_numbers(mention.segment or mention.sentence)))
    return _SCALES[match.group(1)] if match else None


def currency_of(mention: Mention) -> str | None:
    """The currency an amount is written in ('18,88 milliards de dollars US' -> 'usd'), None if none is."""
    if mention.unit != "amount":
        return None
    found = [code for code, pattern in _CURRENCIES if pattern.search(mention.segment or mention.sentence)]
    return found[0] if len(found) == 1 else None


def years_in(text: str) -> set[str]:
    return set(YEAR.findall(normalize_numbers(text)))


def classes_in(text: str) -> set[str]:
    """'classe III', 'class 3' -> {'3'}."""
    return {_ROMAN.get(m.lower(), m) for m in _CLASS.findall(text)}


def _canonical(figure: str) -> str:
    return re.sub(r"\s", "", figure).replace(",", ".")


def mentions(sentence: str) -> list[Mention]:
    """Each non-year figure of one sentence with the years bound to it: the years between it and the
    next figure ('16,02 milliards d'ici 2028'), else those between the previous figure and it
    ('By 2030, US$18.88 billion')."""
    text = normalize_numbers(sentence.replace("\u00a0", " ").replace("\u202f", " "))
    found = [(m.start(), m.end(), m.group()) for m in _NUMBER.finditer(text)]
    years = [(s, e) for s, e, g in found if YEAR.fullmatch(g)]
    figures = [(s, e, g) for s, e, g in found if not YEAR.fullmatch(g)]
    out = []
    for k, (start, end, figure) in enumerate(figures):
        following_end = figures[k + 1][0] if k + 1 < len(figures) else len(text)
        preceding_start = figures[k - 1][1] if k else 0
        after = {text[s:e] for s, e in years if end <= s < following_end}
        before = {text[s:e] for s, e in years if preceding_start <= s < start}
        if _LABEL_BEFORE.search(text[max(0, start - 16):start]) or _LABEL_AFTER.match(text[end:end + 6]):
            unit: Unit = "label"
        elif figure.endswith("%") or re.match(r"^\s*(?:%|pour ?cent|per ?cent)", text[end:]):
            unit = "share"
        elif _AMOUNT_AFTER.match(text[end:end + 30]) or _AMOUNT_BEFORE.search(text[max(0, start - 6):start]):
            unit = "amount"
        else:
            unit = "count"
        value = _canonical(figure.rstrip("% ")) + ("%" if unit == "share" else "")
        # From the end of what states the previous figure (its year, when the year follows it) to the
        # end of this figure's own year, or of its clause.
        taken = [e for s, e in years
                 if preceding_start <= s < start and k and _after_figure(years, figures[k - 1], start)]
        begin = max(taken) if taken else preceding_start
        last_year = max((e for s, e in years if end <= s < following_end), default=None)
        stop = last_year or next((m.start() for m in re.finditer(r"[,;:.]\s", text[end:])), len(text) - end) + end
        segment = text[begin:stop].strip(" ,;:.").removeprefix("et ").removeprefix("and ")
        digits = figure.rstrip("% ").replace(".", "")
        written = re.search(r"[ ,.\u00a0\u202f]?".join(re.escape(c) for c in digits), sentence)
        if written:  # the figure as the passage writes it: "1,59", "38 000"
            segment = segment.replace(figure.rstrip("% "), written.group(), 1)
        out.append(Mention(value, unit, frozenset(after or before), sentence, segment))
    return out


def _after_figure(years, previous, start) -> bool:
    """Whether the years between the previous figure and this one belong to the previous figure."""
    return any(previous[1] <= s < start for s, _ in years)


def names_in(text: str) -> list[str]:
    """Names and acronyms a sentence mentions ('JD Health', 'NMPA', 'Hainan Boao Lecheng'), without
    the capitalised first word of a sentence or list item and without generic words ('China', 'AI')."""
    names = []
    for match in _NAME.finditer(text):
        words = match.group().split()
        start = match.start()
        head = text[:start].rstrip()
        sentence_start = not head or head[-1] in ".!?:;•-–—*\n" or re.search(r"(?:^|\n)\s*\d+[.)]$", head)
        if sentence_start and not words[0].isupper() and not rare(words[0]):
            words = words[1:]  # capitalised as the first word, not as a name
        words = [re.sub(r"['’]s$", "", w) for w in words]  # "Tencent's" names Tencent
        # "AI-powered": keep only the capitalised parts of a compound
        words = ["-".join(p for p in w.split("-") if p[:1].isupper()) for w in words]
        generic = [not w or fold(w).strip("'’") in ENTITY_STOPWORDS or YEAR.fullmatch(w) for w in words]
        while words and generic[0]:  # "The NMPA", "China's" -> trimmed; "Ping An Good Doctor" stays whole
            words, generic = words[1:], generic[1:]
        while words and generic[-1]:
            words, generic = words[:-1], generic[:-1]
        if words and not (len(words) == 1 and len(words[0]) < 2):
            names.append(" ".join(words))
    return names


def rare(word: str) -> bool:
    """A word no dictionary of English or French knows well: most likely a name ('Infervision')."""
    w = re.sub(r"['’]s$", "", word).strip("'’").lower()
    return len(w) >= 3 and max(zipf_frequency(w, "en"), zipf_frequency(w, "fr")) < 3.5


def specific(name: str) -> bool:
    """A name that singles out a company, place or law: an acronym or a rare (proper) word."""
    return any(w.isupper() and len(w) >= 2 or rare(w) for w in re.split(r"[\s-]+", name))


def subjects_in(question: str) -> list[str]:
    """The names a question is about. In a Title Case question, capitals say nothing: only acronyms
    and rare words count; elsewhere every name does ('Japon', 'Shanghai', 'Ping An Good Doctor'). The
    words of a name of several words do not make a question Title Case ('Quel est le chiffre d'affaires
    de Ping An Good Doctor ?')."""
    names = names_in(question)
    within = {w for n in names if len(n.split()) > 1 for w in n.split()}
    words = [w for w in re.findall(r"[^\W\d_]{4,}", question)]
    words = [w for w in words if w not in within] or words
    title_case = words and sum(w[0].isupper() for w in words) > len(words) / 2
    return [n for n in names if specific(n)] if title_case else names


def mentions_name(name: str, text: str) -> bool:
    """Whether a text names this (folded, with the glossary's other spellings: 'Beijing' = 'Pékin')."""
    folded = fold(text)
    return any(re.search(rf"(?<!\w){re.escape(v)}(?!\w)", folded) for v in variants(name))


def expected_unit(question: str) -> Unit | None:
    """The kind of figure a question asks for, when its wording says so."""
    q = fold(question)
    if re.search(r"\b(?:what share|quelle part|what percentage|quel pourcentage|what proportion|taux|rate|cagr|tcac"
                 r"|%)", q):
        return "share"
    if re.search(r"\b(?:how much|revenue|turnover|chiffre d'affaires|worth|valeur|value|valorisation|taille|size|"
                 r"combien (?:vaut|pese|coute|rapporte)|market size|montant|amount|funding|financement)\b", q):
        return "amount"
    if re.search(rf"\b(?:how long|combien de temps|(?:how many|combien d[e']|nombre d[e'])\s*(?:{DURATION_WORDS})\b)",
                 q):
        return "duration"
    if re.search(r"\b(?:how many|combien d[e']|nombre d[e'])", q):
        return "count"
    return None
