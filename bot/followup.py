"""Is a question a follow-up that needs the previous one ("Et en 2030 ?", "What do they offer?")?"""
from __future__ import annotations

import re

_STARTS = re.compile(r"^\s*(et|mais|puis|aussi|and|but|also|what about|how about|qu'en est-il|pareil)\b",
                     re.IGNORECASE)
_POINTS_BACK = re.compile(
    r"\b(elles?|ils|eux|leurs?|celles?|celui|ceux|ceci|cela|[qs]u?'y|-(?:elles?|ils)"
    r"|they|them|their|theirs|those|these|that one|the latter|the former)\b",
    re.IGNORECASE,
)


def is_follow_up(question: str) -> bool:
    words = re.findall(r"\w+", question)
    return len(words) <= 4 or bool(_STARTS.match(question) or _POINTS_BACK.search(question))
