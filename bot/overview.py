"""What the report covers: its sections, from the headings its passages carry, in French or English (pure)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.glossary import english_wording
from bot.render import escape_markdown
from bot.types import Chunk, Language

# A section path's parts, as a location writes them ("Heading › Row"); a heading holding it nests.
PATH_SEP = " › "

# The report's headings in English: a fixed rendering, so that the overview needs no model at start-up.
# A heading not listed (another corpus) keeps its French words, its report terms put in English.
HEADINGS_EN = {
    "Introduction": "Introduction: the market and its growth",
    "Opportunités d'investissement et secteurs verticaux de niche": "Investment opportunities and niche verticals",
    "Imagerie médicale et diagnostics": "Medical imaging and diagnostics",
    "Mises à niveau des hôpitaux intelligents": "Smart hospital upgrades",
    "Découverte de médicaments accélérée par l'IA": "AI-accelerated drug discovery",
    "Télémédecine et soins de santé ruraux": "Telemedicine and rural healthcare",
    "MTC numérique (Médecine Traditionnelle Chinoise)": "Digital TCM (traditional Chinese medicine)",
    "Télésanté et traitement du langage naturel (NLP)": "Telehealth and natural language processing (NLP)",
    "Les principales barrières à l'entrée dans le secteur de l'IA en santé en Chine, et comment les leaders "
    "de l'industrie les surmontent": "The main barriers to entry, and how industry leaders overcome them",
    "Barrières à l'entrée et solutions": "Barriers to entry and solutions (table)",
    "Plan stratégique : Clés du succès pour les investisseurs étrangers dans le secteur de la santé IA en Chine":
        "Strategic plan: keys to success for foreign investors",
    "Tirer parti des canaux d'entrée rapide pour les dispositifs médicaux et solutions alimentés par l'IA":
        "Using fast-track entry channels for AI medical devices and solutions",
    "Canaux d'entrée rapide pour les solutions de santé alimentées par l'IA en Chine":
        "Fast-track entry channels (table)",
    "Choisir le bon modèle d'affaires": "Choosing the right business model",
    "Identifier les points d'entrée : zones pilotes, hôpitaux et accélérateurs":
        "Entry points: pilot zones, hospitals and accelerators",
    "Capitaliser sur la politique gouvernementale et les incitations": "Government policy and incentives",
    "Adapter les solutions aux réalités du système de santé chinois":
        "Adapting solutions to China's healthcare system",
    "Pourquoi la Chine offre une opportunité inégalée pour l'investissement dans l'IA en santé":
        "Why China is an unmatched opportunity for AI healthcare investment",
}


@dataclass(frozen=True)
class Section:
    """A heading of a document and how many passages sit under it (those of its subsections included)."""

    source: str
    path: tuple[str, ...]  # the heading and the headings holding it, outermost first
    passages: int

    @property
    def title(self) -> str:
        return self.path[-1]


def section_path(chunk: Chunk) -> tuple[str, ...]:
    return tuple(part.strip() for part in chunk.section.split(PATH_SEP) if part.strip()) or ("",)


def sections(chunks: Sequence[Chunk]) -> tuple[Section, ...]:
    """The outermost sections of each document, in reading order (the order of their first passage).
    A table's title heads only its rows: they count in the section before it, which introduces the table.
    Passages addressed to an AI assistant are left out: the overview is the report's, not theirs."""
    order: list[tuple[str, str]] = []
    counts: dict[tuple[str, str], int] = {}
    for chunk in chunks:
        if chunk.flagged:
            continue
        key = (chunk.source, section_path(chunk)[0])
        if key not in counts:
            if chunk.kind == "table_row" and order and order[-1][0] == chunk.source:
                key = order[-1]
            else:
                order.append(key)
                counts[key] = 0
        counts[key] += 1
    return tuple(Section(source, (title,), counts[(source, title)]) for source, title in order)


def heading_in(title: str, language: Language) -> str:
    """A heading in the reader's language: French as written, English from the fixed rendering."""
    if language == "fr":
        return title
    return HEADINGS_EN.get(title) or english_wording(title)


def overview_markdown(found: Sequence[Section], language: Language, intro: str) -> str:
    """`intro` (a UI sentence with {n}) then the section titles, one line, in reading order. Documents
    other than the first are named, so that a reader sees which one a section belongs to."""
    if not found:
        return ""
    first = found[0].source
    titles = [heading_in(s.title, language) + ("" if s.source == first else f" ({s.source})") for s in found]
    return intro.format(n=len(found)) + " " + " · ".join(escape_markdown(t) for t in titles)
