"""Text folding shared by lexical search, figure checks and evaluation: case, accents, spaces, numbers."""
from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"[\s\u00a0\u202f]+")
# 38 000 / 38,000 / 38.000 -> 38000 ; 42,5 -> 42.5 (a comma followed by 1-2 digits is a decimal mark)
_THOUSANDS = re.compile(r"(?<=\d)[\s\u00a0\u202f,.](?=\d{3}(?!\d))")
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*(?: ?%)?")  # "92 %" is another figure than "92"
_PERCENT = re.compile(r"\s*(?:%|pour ?cent\b|per ?cent\b)")


def fold(text: str) -> str:
    """Lower case, no accents, one space: 'Télémédecine  Rurale' -> 'telemedecine rurale'."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("’", "'").replace("‘", "'").replace("–", "-").replace("—", "-")
    return _SPACES.sub(" ", text).strip().lower()


def normalize_numbers(text: str) -> str:
    """Write every figure the same way: '38 000' = '38,000' = '38000', '42,5' = '42.5'."""
    previous = None
    while previous != text:  # "1 234 567" needs several passes
        previous = text
        text = _THOUSANDS.sub("", text)
    return _DECIMAL_COMMA.sub(".", text)


def canonical(text: str) -> str:
    return normalize_numbers(fold(text))


def figures(text: str) -> list[str]:
    """The figures of a text, canonical; years and small counts are figures too; '42,5 %' -> '42.5%'."""
    return [f.replace(" ", "") for f in _FIGURE.findall(_PERCENT.sub("%", normalize_numbers(fold(text))))]
