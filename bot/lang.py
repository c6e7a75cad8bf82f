"""Question language (fr or en): langdetect, seeded, with a word-list fallback for short text."""
from __future__ import annotations

import re

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

from bot.types import Language

DetectorFactory.seed = 0

_FR = set("le la les des du de un une et est en quel quelle quels quelles que qui quoi combien comment "
          "pourquoi où ou au aux pour dans sur par avec sont ont il elle ils ce cette ces son sa ses "
          "leur leurs pas plus quand et alors donc aussi être avoir fait faut peut".split())
_EN = set("the a an of and is are was were what which who whom how why when where does do did "
          "in on for with to from by it its this that these those their there can could should "
          "would will about much many has have".split())
_WORD = re.compile(r"[a-zàâäçéèêëîïôöùûüÿœ']+")
# A capitalised word that does not open the text or a sentence: a name ("Ping An Good Doctor")
_NAME = re.compile(r"(?<![.?!:]\s)(?<!^)(?<![.?!:])\b[A-Z][\w'’-]*")


def _word_vote(text: str) -> Language | None:
    words = _WORD.findall(text.lower())
    fr = sum(w in _FR for w in words) + 2 * bool(re.search(r"[àâçéèêëîïôùûœ]", text.lower()))
    en = sum(w in _EN for w in words)
    if fr == en:
        return None
    return "fr" if fr > en else "en"


def detect_language(text: str, previous: Language | None = None, default: Language = "en") -> Language:
    """French or English. Short or unclear text ("Et en 2030 ?") falls back to the word vote,
    then to the conversation's previous language, then to French typography, then to `default`
    (the reader's language when known, else English). Names are not words of either language: "Qui
    dirige Ping An Good Doctor ?" is read as "Qui dirige ?"."""
    typography: Language | None = "fr" if re.search(r"\w[ \u00a0\u202f][?!;]", text) else None
    text = _NAME.sub(" ", text)
    words = _WORD.findall(text.lower())
    if len(words) >= 4:
        try:
            scores = {d.lang: d.prob for d in detect_langs(text)}
        except LangDetectException:
            scores = {}
        fr, en = scores.get("fr", 0.0), scores.get("en", 0.0)
        if max(fr, en) >= 0.5:
            return "fr" if fr >= en else "en"
    # French typography spaces the question mark: "NMPA ?" is French, "PIPL?" is not.
    return _word_vote(text) or previous or typography or default
