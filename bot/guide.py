"""What the page offers a reader: the report's overview and questions to ask, as a conversation stands (pure)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.overview import Section, overview_markdown, sections
from bot.prompts import UI
from bot.suggest import Layout, Suggestion, follow_ups, load_pool, starters
from bot.types import Answer, Chunk, Language


@dataclass(frozen=True)
class Offer:
    """What the page shows under the chat: the overview ("" once the conversation has begun), a title
    and the questions it suggests."""

    overview: str
    title: str
    questions: tuple[str, ...]


@dataclass(frozen=True)
class Guide:
    sections: tuple[Section, ...]
    suggestions: tuple[Suggestion, ...]
    layout: Layout

    @classmethod
    def of(cls, chunks: Sequence[Chunk], suggestions: Sequence[Suggestion] = ()) -> "Guide":
        return cls(sections(chunks), tuple(suggestions), Layout.of(chunks))

    @classmethod
    def load(cls, chunks: Sequence[Chunk], gold: Path, results: Path) -> "Guide":
        """From the index's passages, the gold file and the last evaluation's results; nothing is generated."""
        return cls.of(chunks, load_pool(gold, results, chunks))

    def offer(self, answers: Sequence[Answer], ui_lang: Language) -> Offer:
        """An empty conversation: the overview and three starting questions in the interface language.
        Otherwise: questions following the last answer, in its language, none already asked."""
        if not answers:
            overview = overview_markdown(self.sections, ui_lang, UI["overview"][ui_lang])
            picked = starters(self.suggestions, self.layout, ui_lang)
            return Offer(overview, UI["suggested"][ui_lang] if picked else "", tuple(s.question for s in picked))
        last = answers[-1]
        picked = follow_ups(self.suggestions, self.layout, last, [a.question for a in answers])
        return Offer("", UI["follow_ups"][last.language] if picked else "", tuple(s.question for s in picked))
