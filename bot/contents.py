"""What the page shows without running a model: the index's passages, the guide, the documents, English renderings."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.config import Settings
from bot.errors import BotError
from bot.guide import Guide
from bot.ingest import load_corpus
from bot.renderings import Renderings
from bot.types import Chunk, Document


@dataclass(frozen=True)
class Contents:
    chunks: tuple[Chunk, ...]
    guide: Guide  # the overview and the questions to ask
    documents: tuple[Document, ...]  # what the index was built from: the report view
    english: dict[str, str] = field(default_factory=dict)  # passage id -> its English rendering

    @classmethod
    def read(cls, settings: Settings, chunks: Sequence[Chunk], renderings: Renderings | None) -> Contents:
        """From the index's passages and renderings, and the files beside them; no model is run."""
        chunks = tuple(chunks)
        try:
            documents = tuple(load_corpus(settings.corpus_dir)) if chunks else ()
        except BotError:  # the index still answers; only the report view is missing
            documents = ()
        english = {c.id: text for c in chunks if (text := renderings.english(c))} if renderings else {}
        return cls(chunks, Guide.load(chunks, settings.gold_path, settings.results_path), documents, english)

    @property
    def by_id(self) -> dict[str, Chunk]:
        return {c.id: c for c in self.chunks}
