"""The words the report uses, in French, in its English renderings and in the glossary: a name a question
gives that holds a word none of them uses is a name the report never mentions ('MedAI Shenzhen')."""
from __future__ import annotations

import re
from collections.abc import Iterable

from wordfreq import zipf_frequency

from bot.binding import names_in, specific
from bot.glossary import TERMS
from bot.normalize import fold

_WORD = re.compile(r"[^\W\d_]+")


def vocabulary(texts: Iterable[str]) -> frozenset[str]:
    """Every word of these texts and of the glossary's spellings, folded."""
    spellings = (form for fr, en, others in TERMS for form in (fr, en, *others))
    return frozenset(w for text in (*texts, *spellings) for w in _WORD.findall(fold(text)))


def unknown_names(question: str, words: frozenset[str]) -> list[str]:
    """The names a question gives that hold a word the report never uses. Acronyms and titles ('CEO',
    'PDG') are not looked for, nor the question's first word when a dictionary knows it ('Summarize')."""
    first = next(iter(_WORD.findall(question)), "")
    unknown = []
    for name in names_in(question):
        if not specific(name):
            continue
        for word in _WORD.findall(name):  # "Tencent's" is "Tencent" and "s"
            if len(word) < 3 or word.isupper() or fold(word) in words:
                continue
            if word == first and (zipf_frequency(word.lower(), "en") or zipf_frequency(word.lower(), "fr")):
                continue
            unknown.append(name)
            break
    return unknown
