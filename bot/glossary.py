"""The report's terms in French and English: one rendering each, for search, names and answers."""
from __future__ import annotations

import re

from bot.normalize import fold

# (French as the report writes it, English rendering, other spellings: the acronym and its expansion
# in either language). The first English form is the one answers use; every form counts as the same
# name when answers are checked.
TERMS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("MTC", "TCM", ("médecine traditionnelle chinoise", "traditional Chinese medicine")),
    ("médecine traditionnelle chinoise", "traditional Chinese medicine", ()),
    ("ZFE", "FTZ", ("FTZs", "zones de libre-échange", "free trade zones", "free trade zone")),
    ("zones de libre-échange", "free trade zones", ("free-trade zones", "free trade zone", "FTZ")),
    ("Grande Baie", "Greater Bay Area", ("Greater Bay", "Great Bay Area", "Grand Bay Area", "Great Bay", "GBA")),
    ("Pékin", "Beijing", ("Peking",)),
    ("DME", "EMR", ("EMRs", "EHR", "EHRs", "dossiers médicaux électroniques", "electronic medical records")),
    ("dossiers médicaux électroniques", "electronic medical records", ("electronic health records",)),
    ("TCAC", "CAGR", ("taux de croissance annuel composé", "compound annual growth rate")),
    ("taux de croissance annuel composé", "compound annual growth rate", ()),
    ("Administration nationale des produits médicaux", "National Medical Products Administration", ("NMPA",)),
    ("loi sur la protection des informations personnelles", "Personal Information Protection Law", ("PIPL",)),
    ("entreprises entièrement étrangères", "wholly foreign-owned enterprises",
     ("wholly foreign-owned enterprise", "wholly foreign owned enterprises", "wholly foreign owned enterprise", "WFOE",
      "WFOEs")),
    ("marque blanche", "white-label", ("white label",)),
    ("backend hospitalier", "hospital backend", ("hospital back-end",)),
    ("files d'attente", "queues", ("queue management", "queuing", "queueing", "waiting lines")),
    ("confidentialité des données", "data privacy", ("data confidentiality", "privacy")),
    ("transfrontalières", "cross-border", ("cross border",)),
    ("transfrontalière", "cross-border", ("cross border",)),
    ("transfrontaliers", "cross-border", ("cross border",)),
    ("transfrontalier", "cross-border", ("cross border",)),
    ("soutien à la décision clinique", "clinical decision support", ("clinical decision-support",)),
    ("robotique chirurgicale", "surgical robotics", ("surgical robots", "robotic surgery")),
    ("incitations fiscales", "tax incentives", ()),
    ("coentreprises", "joint ventures", ("joint venture", "JV", "JVs")),
    ("Plan quinquennal", "Five-Year Plan", ("Five Year Plan",)),
    ("maladie pulmonaire obstructive chronique", "chronic obstructive pulmonary disease", ()),
    ("MPOC", "COPD", ("maladie pulmonaire obstructive chronique", "chronic obstructive pulmonary disease")),
    ("AVC", "stroke", ("strokes",)),
    ("villes de niveau 2", "tier-2 cities", ("tier 2 cities", "second-tier cities")),
    ("hôpitaux de niveau 3", "tier-3 hospitals", ("tier 3 hospitals", "tertiary hospitals")),
    ("parc d'innovation en IA de Shanghai", "Shanghai AI Innovation Park", ()),
    ("Télésanté", "telehealth", ()),
    ("Télémédecine", "telemedicine", ()),
    ("hôpitaux intelligents", "smart hospitals", ("smart hospital",)),
    ("découverte de médicaments", "drug discovery", ("découverte intelligente de médicaments", "smart drug discovery")),
    ("Imagerie médicale", "medical imaging", ()),
    ("alimentés par l'IA", "AI-powered", ("powered by AI", "AI powered")),  # not "food" ('aliment')
    ("alimentées par l'IA", "AI-powered", ("powered by AI", "AI powered")),
    ("alimenté par l'IA", "AI-powered", ("powered by AI", "AI powered")),
    ("alimentée par l'IA", "AI-powered", ("powered by AI", "AI powered")),
    ("classe III", "class III", ("class-III", "class 3")),  # not "III-class"
    ("classe II", "class II", ("class-II", "class 2")),
    ("AliHealth", "AliHealth", ("Ali Health", "Alibaba Health")),  # Alibaba's health arm, as investors name it
    ("Chine", "China", ()),
    ("IA", "AI", ()),
)

# Capitalised words that name nothing in particular: sentence openers, the country, the field.
ENTITY_STOPWORDS = frozenset(fold(w) for w in """
a an the this that these those it its in on at by for of to and or but as with from what which who whom
whose how why when where is are was were does do did can could should would will also according however
yes no not other others both each every all some many most one two three four five first second third
le la les l un une des du de et ou en au aux ce cette ces il elle ils elles quel quelle quels quelles qui
que quoi comment pourquoi quand combien selon oui non dans pour par sur avec sans aussi enfin ensuite
china chinese chine chinois chinoise chinoises ai ia us usd ii iii part partie report rapport passage
passages note answer reponse question source sources i mr ms dr m mme class classe iv
""".split())

# Words that say what something is like, not what a question is about: rendered and kept in English like
# the other terms, but no subject that a figure or name must be attached to ('the AI-powered market' asks
# about the market). The country and the field are in every passage. A company's other names (AliHealth)
# are spellings only: the company stays a name like any other.
_NO_SUBJECT = frozenset({"Chine", "IA", "alimentés par l'IA", "alimentées par l'IA", "alimenté par l'IA",
                         "alimentée par l'IA", "classe III", "classe II", "AliHealth"})
_NOT_TRANSLATED = ("Chine", "IA", "AliHealth")  # in every passage, or a name spelled alike in both languages
# The terms that name a place: said of one, a claim must cite a passage naming it, like a company's.
_PLACES = ("Grande Baie", "Pékin")


def _term(form: str) -> str:
    """A term as a whole word: 'villes de niveau 2' is not in 'villes de niveau 2-3'."""
    return rf"(?<!\w){re.escape(form)}(?!\w|-\d)"


def _forms() -> list[tuple[str, ...]]:
    return [(fold(fr), fold(en), *(fold(o) for o in others)) for fr, en, others in TERMS]


_GROUPS = _forms()


_CAMEL_PARTS = re.compile(r"(?<=[a-z])(?=[A-Z][a-z])")


def variants(name: str) -> set[str]:
    """A name and its other spellings, folded: 'Beijing' -> {'beijing', 'pekin', 'peking'}."""
    folded = fold(name)
    out = {folded, fold(_CAMEL_PARTS.sub(" ", name))}  # 'AliHealth' is 'Ali Health' too
    if " " in folded:
        out.add(folded.replace(" ", ""))  # and 'Ali Health' is 'AliHealth'
    for group in _GROUPS:
        if folded in group:
            out.update(group)
    return out


def known_english(text: str) -> set[str]:
    """The English renderings of the report terms a French text uses (folded)."""
    folded = fold(text)
    out: set[str] = set()
    for group in _GROUPS:
        if re.search(_term(group[0]), folded):
            out.update(group[1:])
    return out


def french_terms(question: str) -> list[str]:
    """The report's French words for the English terms of a question ('TCM' -> 'MTC',
    'médecine traditionnelle chinoise'): searched along with the question."""
    folded = fold(question)
    found = []
    for (fr, en, others), group in zip(TERMS, _GROUPS):
        if fr in _NO_SUBJECT:
            continue
        if any(re.search(_term(form), folded) for form in group[1:]):
            found.append(fr)
    return found


def terms_in(text: str) -> list[str]:
    """The report terms a text uses, in the form it uses them (folded): 'telemedicine', 'TCAC'."""
    folded = fold(text)
    return [next(f for f in group if re.search(_term(f), folded))
            for (fr, _, _), group in zip(TERMS, _GROUPS) if fr not in _NO_SUBJECT
            and any(re.search(_term(f), folded) for f in group)]


def places_in(text: str) -> list[str]:
    """The places of the glossary a text names ('the Greater Bay Area' -> 'Grande Baie')."""
    folded = fold(text)
    return [fr for (fr, _, _), group in zip(TERMS, _GROUPS)
            if fr in _PLACES and any(re.search(_term(f), folded) for f in group)]


def english_terms(text: str) -> list[tuple[str, str]]:
    """(French, English) for the report terms a passage uses: shown to the model for English answers."""
    folded = fold(text)
    return [(fr, en) for (fr, en, _), group in zip(TERMS, _GROUPS)
            if fr not in _NOT_TRANSLATED and re.search(_term(group[0]), folded)]


_LEFT_IN_FRENCH = [(re.compile(_term(fr), re.IGNORECASE), en)
                   for fr, en, _ in TERMS if fr not in _NOT_TRANSLATED and len(fr) >= 3]


def english_wording(text: str) -> str:
    """Report terms left in French in an English answer, in their one English rendering."""
    for pattern, english in _LEFT_IN_FRENCH:
        text = pattern.sub(english, text)
    return text


_ACRONYM_OF = [(re.compile(rf"(?<!\w){re.escape(en)}(?!\w)(?!\s*\()", re.IGNORECASE), acronym)
               for _, en, others in TERMS for acronym in others[:1]
               if acronym.isupper() and len(acronym) >= 2 and not en.isupper()]


def with_acronyms(text: str) -> str:
    """'Personal Information Protection Law' -> '… (PIPL)' the first time, when the answer does not
    use the report's acronym: the reader finds it in the report."""
    for pattern, acronym in _ACRONYM_OF:
        if acronym not in text:
            text = pattern.sub(lambda m: f"{m.group(0)} ({acronym})", text, count=1)
    return text
