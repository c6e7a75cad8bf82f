"""Figures and report terms written the reader's way, by code: 'US$16.02 billion' / '16,02 milliards de dollars US'."""
from __future__ import annotations

import re

from bot.glossary import english_wording, with_acronyms
from bot.types import Language

_NUM = r"\d+(?:[.,]\d+)?"
# An amount of US dollars however the model wrote it: '16,02 milliards de dollars US',
# '16,02 milliards of dollars US', 'USD 16.02 billion', '$16.02 bn', '16.02 billion US dollars'.
_SCALE = r"(?P<scale>milliards?|billions?|bn|millions?|mn)"
_DOLLARS = r"(?:(?:de |of |d')?(?:dollars?|USD)(?:\s+(?:US|américains|americains|des États-Unis))?|US\s*dollars?|USD)"
_AMOUNT_AFTER = re.compile(rf"(?:(?:US\$|USD|\$)\s?)?(?P<n>{_NUM})\s?{_SCALE}(?:\s+{_DOLLARS})?", re.IGNORECASE)
_AMOUNT_BEFORE = re.compile(rf"(?:US\$|USD|\$)\s?(?P<n>{_NUM})\s?{_SCALE}(?:\s+(?:US|USD)(?!\w))?", re.IGNORECASE)
_PERCENT = re.compile(rf"(?P<n>{_NUM})\s?(?:%|pour ?cent|per ?cent)", re.IGNORECASE)
_THOUSANDS = re.compile(r"(?<![\d.,])(\d{1,3})(?:[ \u00a0\u202f,.](\d{3}))+(?![\d])")
_DECIMAL = re.compile(r"(?<![\d.,])(\d+)[.,](\d{1,2})(?![\d])")


_DATES = [(re.compile(r"\bd['’]ici (?:à )?((?:19|20)\d{2})\b"), r"by \1"),
          (re.compile(r"\b[àa] la mi-((?:19|20)\d{2})\b"), r"by mid-\1"),
          (re.compile(r"\ben ((?:19|20)\d{2})\b"), r"in \1")]


def _value(number: str) -> float:
    return float(number.replace(",", "."))


def _en_number(number: str) -> str:
    return number.replace(",", ".")


def _fr_number(number: str) -> str:
    return number.replace(".", ",")


def _grouped(match: re.Match, sep: str) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return sep.join(groups)


def _big(scale: str) -> bool:
    return scale.lower().startswith(("milliard", "billion", "bn"))


def _is_dollars(m: re.Match) -> bool:
    return bool(re.search(r"dollar|usd|\$", m.group(0), re.IGNORECASE))


def _english_amount(m: re.Match) -> str:
    words = f"{_en_number(m.group('n'))} {'billion' if _big(m.group('scale')) else 'million'}"
    return f"US${words}" if _is_dollars(m) else words


def _french_amount(m: re.Match) -> str:
    plural = "" if _value(m.group("n")) < 2 else "s"
    words = f"{_fr_number(m.group('n'))} {'milliard' if _big(m.group('scale')) else 'million'}{plural}"
    return f"{words} de dollars US" if _is_dollars(m) else words


def _figures(text: str, amount, percent: str, thousands: str, decimal: str) -> str:
    """Amounts, percentages, thousands and decimals in one convention ('{}' in `percent` is the number)."""
    text = _AMOUNT_BEFORE.sub(amount, text)
    text = _AMOUNT_AFTER.sub(amount, text)
    other = "," if decimal == "." else "."
    text = _PERCENT.sub(lambda m: percent.format(m.group("n").replace(other, decimal)), text)
    text = _THOUSANDS.sub(lambda m: _grouped(m, thousands), text)
    return _DECIMAL.sub(lambda m: f"{m.group(1)}{decimal}{m.group(2)}", text)


def _english(text: str) -> str:
    text = _figures(text, _english_amount, "{}%", ",", ".")
    for french, english in _DATES:  # "d'ici 2030" left in an English sentence
        text = french.sub(english, text)
    return with_acronyms(english_wording(text))


def _french(text: str) -> str:
    return _figures(text, _french_amount, "{} %", " ", ",")


def localize(text: str, language: Language) -> str:
    """Every figure in the reader's convention; in English, the report's terms in their one rendering.
    Figures keep their value: the checks compare values, whatever the convention."""
    return _english(text) if language == "en" else _french(text)
