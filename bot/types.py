"""Typed data flowing between the stages: chunks, passages, citations, answers."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Language = Literal["fr", "en"]
BlockKind = Literal["heading", "paragraph", "bullet", "table_row"]


@dataclass(frozen=True)
class Block:
    """One structural unit of a source document, with the heading it sits under."""

    kind: BlockKind
    text: str
    section: str
    paragraph: int  # 1-based number of the block within its section
    page: int = 0  # 1-based page of a PDF where the block starts; 0: the format has no pages


@dataclass(frozen=True)
class Document:
    source: str  # file name inside corpus/
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Chunk:
    id: str  # content hash: stable across rebuilds
    source: str
    section: str
    location: str  # human anchor: section title and paragraph numbers
    text: str  # the passage as shown to the model and the user
    kind: str = "text"  # "table_row": one row of a table, each line "Header : cell"
    flagged: str = ""  # why the text (or its document) addresses an AI assistant (bot.injection), "" if clean

    @property
    def embed_text(self) -> str:
        """What is embedded and searched: the heading gives the passage its topic."""
        return f"{self.section}\n{self.text}" if self.section else self.text


@dataclass(frozen=True)
class Passage:
    chunk: Chunk
    rank: int  # 1-based, in the order the model sees them
    score: float  # fused retrieval score
    similarity: float  # cosine of the question and the passage (dense), used for abstention


@dataclass(frozen=True)
class Citation:
    n: int  # the marker number, as in the answer text
    chunk: Chunk


@dataclass(frozen=True)
class Turn:
    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class Withdrawn:
    """A sentence of the model's draft that the checks took out, and why (a REASONS key in prompts.py)."""

    text: str
    reason: str
    detail: str = ""


@dataclass
class Timings:
    retrieve_ms: float = 0.0
    first_token_ms: float = 0.0
    total_ms: float = 0.0


@dataclass(frozen=True)
class Answer:
    question: str
    language: Language
    text: str
    abstained: bool
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]
    timings: Timings
    model: str
    dropped_markers: int = 0  # [n] markers pointing to no passage, removed from the text
    unsupported_figures: tuple[str, ...] = field(default=())  # figures found in no cited passage
    reason: str = ""  # why the answer is a refusal (a REASONS key in prompts.py); "" when it answers
    withdrawn: tuple[Withdrawn, ...] = ()  # sentences of the draft taken out by the checks

    def to_json(self) -> dict:
        """The stable JSON contract of `ask --jsonl`."""
        return {
            "question": self.question,
            "language": self.language,
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [
                {"n": c.n, "chunk_id": c.chunk.id, "source": c.chunk.source,
                 "location": c.chunk.location, "text": c.chunk.text, **_flag(c.chunk)}
                for c in self.citations
            ],
            "passages": [
                {"rank": p.rank, "chunk_id": p.chunk.id, "source": p.chunk.source,
                 "location": p.chunk.location, "score": round(p.score, 6), "text": p.chunk.text,
                 **_flag(p.chunk)}
                for p in self.passages
            ],
            "timings": {k: round(v, 1) for k, v in asdict(self.timings).items()},
            "model": self.model,
            **({"reason": self.reason} if self.reason else {}),
            **({"withdrawn": [asdict(w) for w in self.withdrawn]} if self.withdrawn else {}),
        }


def _flag(chunk: Chunk) -> dict[str, str]:
    """A flagged passage says why; a clean one keeps the contract's keys unchanged."""
    return {"flagged": chunk.flagged} if chunk.flagged else {}


@dataclass(frozen=True)
class Status:
    """The pipeline moved to a new stage: 'retrieving' or 'writing'."""

    stage: Literal["retrieving", "writing"]


@dataclass(frozen=True)
class Retrieved:
    passages: tuple[Passage, ...]


@dataclass(frozen=True)
class Token:
    text: str


@dataclass(frozen=True)
class Done:
    answer: Answer


Event = Status | Retrieved | Token | Done
