"""What a question's wording says: is it a follow-up ("Et en 2030 ?"), does it ask for a quantity?"""
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


_QUANTITY = re.compile(r"\b(how many|how much|combien|quelle part|what share|what percentage|quel pourcentage"
                       r"|quel montant|quelle somme|what amount|which amount|what sum)\b", re.IGNORECASE)
_REVENUE = re.compile(r"\b(chiffre d'affaires|revenues?|turnover)\b", re.IGNORECASE)
# 'Quel est le chiffre d'affaires de la société qui…', 'What was the revenue of the firm which…': the figure
_REVENUE_ASKED = re.compile(r"\b(?:what(?:'s|\s+(?:is|was|were|are|will be))|quel(?:le)?\s+(?:est|était|etait"
                            r"|sera|serait|a été))\b[^?.!]{0,80}?\b(?:chiffre d'affaires|revenues?|turnover)\b",
                            re.IGNORECASE)
# Otherwise 'Which route…', 'Where…', 'Quelle voie…' ask for something else than the figure the question mentions
# ('I'd collect a cut of the revenue: which route suits me?').
_OTHER_ASK = re.compile(r"\b(?:which|who|where|why|how (?!much|many)|o[uù]|pourquoi|comment|qui"
                        r"|quel(?:le)?s? (?!(?:est|était|etait|sera|serait|sont|étaient|etaient|a été)\b))",
                        re.IGNORECASE)
_NUMBER_WORDS = re.compile(r"\b(deux|trois|quatre|cinq|six|sept|huit|neuf|dix|douze|vingt|cent|mille|millions?"
                           r"|milliards?|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|hundreds?"
                           r"|thousands?|millions?|billions?)\b", re.IGNORECASE)


def asks_quantity(question: str) -> bool:
    """'Combien… ?', 'How much…?', 'What share…?', 'What was JD Health's revenue?': only a figure answers it."""
    return bool(_QUANTITY.search(question) or _REVENUE_ASKED.search(question)
                or (_REVENUE.search(question) and not _OTHER_ASK.search(question)))


# 'Which groups of patients…' asks for no name: a group, unless it is 'of' or 'de' something.
_NAME_ASKED = re.compile(
    r"\b(?:quel(?:le)?s? (?:grand(?:e)?s? )?(?:groupes?(?!\s+d[e'’])|(?:entreprise|soci[ée]t[ée]|firme|compagnie"
    r"|plateforme|acteur|organisme|r[ée]gulateur|start-?up|multinationale)s?)|(?:which|what) (?:groups?(?!\s+of)"
    r"|(?:[\w'-]+ )?(?:compan(?:y|ies)|firm|platform|player|organi[sz]ation|regulator|start-?up|corporation"
    r"|multinational)s?)|who (?:backs|supports|developed|built|obtained|runs|owns"
    r"|invested|set up)|(?:has|have|did|does|is) (?:any ?one|anybody|any (?:compan(?:y|ies)|firm|player)s?)"
    r"|quelqu'un|(?:une|des|certaines) (?:entreprises?|soci[ée]t[ée]s?) (?:a|ont)-t-(?:elle|elles)"
    r"|(?:une|des|certaines) (?:entreprises?|soci[ée]t[ée]s?) ont-elles)\b", re.IGNORECASE)


def asks_name(question: str) -> bool:
    """'Quel groupe soutient… ?', 'Which company obtained… ?', 'Has anyone solved that?': only a name answers it."""
    return bool(_NAME_ASKED.search(question))


def has_number_word(text: str) -> bool:
    return bool(_NUMBER_WORDS.search(text))


_OVERVIEW = re.compile(r"\b(?:what|which) (?:are|were) (?:the|all)\b|\bquel(?:le)?s sont\b|\blist\b|\benum[eé]r|"
                       r"\b(?:main|key|principa(?:les|ux)|cl[eé]s)\b|\bhow (?:do|can|does|should) .* overcome\b|"
                       r"\bcomment (?:les )?surmonter\b", re.IGNORECASE)


def asks_overview(question: str) -> bool:
    """'What are the main barriers…?', 'Quelles sont les…': a question a whole table or list answers."""
    return bool(_OVERVIEW.search(question))


# 'Quels modèles d'affaires…', 'Which business models does…', 'What kinds of…': a question asking for several
# things (in English, a plural noun then an auxiliary, an article or a preposition: 'Which route fits?' asks
# for one).
_PLURAL = re.compile(r"\bquel(?:le)?s\b|\b(?:which|what)\s+(?:[\w'-]+\s+)?[\w'-]{2,}[^\Wsu]s\s+"
                     r"(?:do|does|did|are|were|can|could|should|would|will|might|may|have|has"
                     r"|the|a|an|in|of|for|to|from|that)\b", re.IGNORECASE)


def asks_list(question: str) -> bool:
    """An overview question, or one asking for several things: a labelled list of the report may answer it."""
    return asks_overview(question) or bool(_PLURAL.search(question))


_ABOUT = re.compile(r"\b(?:dans quels domaines|in (?:which|what) (?:areas|fields|domains)"
                    r"|que dit le rapport (?:sur|de|du|des)\b|what does the report say (?:about|on)"
                    r"|positionn|positioned|quelles sont les (?:\w+ )?initiatives"
                    r"|(?:which|what) (?:\w+ )?initiatives|ses partenaires|its partners|quel r[ôo]le|what role)",
                    re.IGNORECASE)
# 'X apparaît à deux reprises', 'X comes up in more than one section', 'mentioned in two different segments':
# the reader says the name is in several places and wants each of them.
_SEVERAL_PLACES = re.compile(
    r"\b(?:[àa] (?:deux|plusieurs) reprises|plusieurs fois|twice"
    r"|(?:deux|plusieurs|diff[ée]rent(?:e)?s|divers(?:es)?) (?:sections|parties|passages|segments|endroits|contextes)"
    r"|(?:more than one|several|two|different|multiple|various) (?:(?:different|separate) )?"
    r"(?:sections?|segments?|parts? of the report|places|passages|contexts))\b", re.IGNORECASE)


def asks_about(question: str) -> bool:
    """'Dans quels domaines…', 'What does the report say about…', 'How is X positioned…', 'X apparaît à
    deux reprises : …': everything the report says of the name asked about answers it, not one passage."""
    return bool(_ABOUT.search(question) or _SEVERAL_PLACES.search(question))


_YES_NO = re.compile(r"^\s*(?:is|are|was|were|does|do|did|will|would|has|have|had|can|could|should)\b"
                     r"|^\s*est-ce qu[e'’]|\b\w+-(?:t-)?(?:il|elle|ils|elles|on)\b", re.IGNORECASE)
_WH = re.compile(r"\b(?:what|which|who|whom|whose|how|when|where|why|quel(?:le)?s?|qui|quoi|combien|comment|pourquoi"
                 r"|quand|où)\b|^\s*(?:que|qu')", re.IGNORECASE)


_CLEFT = re.compile(r"^\s*(?:est-ce|c'est|was it|is it)\b", re.IGNORECASE)
# A statement put as a question by its tag: '…by 2030, right?', '…en 2030, n'est-ce pas ?'
_TAG = re.compile(r"(?:,\s*(?:right|correct|true|no|yes|vrai|exact|non|oui)|(?:,|\s)\s*(?:is that (?:right|correct"
                  r"|true)|isn't it|n'est-ce pas|c'est (?:bien )?(?:ça|cela|exact|vrai)))\s*\?+\s*$", re.IGNORECASE)


def is_yes_no(question: str) -> bool:
    """'Is the market expected to reach…?', 'Le marché doit-il atteindre… ?', 'Est-ce Yitu qui… ?' (its 'qui'
    asks nothing), '…by 2030, right?': a question answered yes or no."""
    tagged = _TAG.search(question.replace("’", "'"))
    return bool(_CLEFT.match(question)) or bool(_YES_NO.search(question) or tagged) and not _WH.search(question)


_TOPIC = re.compile(r"^\s*(?:(?:and |et )?(?:what|how) about|(?:et )?qu'en est-il d[eu']s?|et (?:pour |sur )?(?:la |le |les |l')?)?\s*"
                    r"(?P<topic>[^?]{1,40}?)\s*\?*\s*$", re.IGNORECASE)
_QUESTION_WORDS = re.compile(r"\b(?:what|which|who|how|why|when|where|is|are|does|do|can|quel|quelle|quels|quelles|qui|"
                             r"comment|pourquoi|quand|où|combien|est-ce|que|quoi)\b", re.IGNORECASE)


def bare_topic(question: str) -> str | None:
    """'PIPL?' -> 'PIPL'; 'What about TCM?' -> 'TCM': a question that names a topic and asks nothing else."""
    match = _TOPIC.match(question)
    if not match or len(question.split()) > 4:
        return None
    topic = match.group("topic").strip(" .,;:!")
    if not topic or re.search(r"\d{4}", topic) or _QUESTION_WORDS.search(topic) or len(topic.split()) > 3:
        return None
    return topic


_CHOICE = re.compile(r"((?:[^\s:,;.!?]+\s+){0,5}?[^\s:,;.!?]+)\s+(?:or|ou)\s+((?:[^\s:,;.!?]+\s+){0,5}?[^\s:,;.!?]+)"
                     r"\s*\?*\s*$", re.IGNORECASE)  # two things of at most six words each, ending the question


def alternatives(question: str) -> tuple[str, str] | None:
    """The two things a question offers to choose between, after its last colon or comma ('Which is more
    restrictive: Hainan Boao Lecheng or the Greater Bay Area?', 'Quelle zone, Hainan ou la GBA ?'); None
    for a question offering no choice."""
    match = _CHOICE.search(question.strip())
    return (match.group(1).strip(), match.group(2).strip()) if match else None
