"""Documents -> Chunks that follow the report's structure (pure functions)."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from itertools import groupby

from bot.injection import detect
from bot.types import Block, Chunk, Document

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[«\"A-ZÀ-ÖØ-Þ0-9])")
# A sentence whose first words point back at the one before it.
_REFERS_BACK = re.compile(r"^(?:\S+\s+){0,3}(?:cela|ceci|celui-ci|celle-ci|ceux-ci|celles-ci|this|these|those)\b",
                          re.IGNORECASE)


@dataclass(frozen=True)
class _Unit:
    """Blocks that must stay together: a paragraph, or a lead sentence with (some of) its bullets."""

    blocks: tuple[Block, ...]

    @property
    def text(self) -> str:
        return "\n".join(b.text for b in self.blocks)


def chunk_id(source: str, section: str, text: str) -> str:
    return hashlib.sha256(f"{source}\n{section}\n{text}".encode()).hexdigest()[:16]


def _span(numbers: list[int]) -> str:
    return f"{numbers[0]}" if len(numbers) == 1 else f"{numbers[0]}–{numbers[-1]}"


def location(section: str, blocks: tuple[Block, ...]) -> str:
    pages = sorted({b.page for b in blocks if b.page})
    where = f", p. {_span(pages)}" if pages else ""  # a PDF's page is what a reader can turn to
    if blocks[0].kind == "table_row":
        first_cell = blocks[0].text.split("\n", 1)[0].split(" : ", 1)[-1]
        return f"{section} › {first_cell}{where}"
    return f"{section} ¶{_span(sorted({b.paragraph for b in blocks}))}{where}"


def make_chunk(source: str, section: str, blocks: tuple[Block, ...], text: str | None = None) -> Chunk:
    text = text if text is not None else "\n".join(b.text for b in blocks)
    kind = "table_row" if blocks[0].kind == "table_row" else "text"
    # The heading is checked too: the model sees it with the passage.
    return Chunk(chunk_id(source, section, text), source, section, location(section, blocks), text, kind,
                 flagged=detect(f"{section}\n{text}"))


def split_sentences(text: str, max_chars: int) -> list[str]:
    """Greedy groups of whole sentences, each at most max_chars unless one sentence is longer."""
    pieces: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        if pieces and len(pieces[-1]) + 1 + len(sentence) <= max_chars:
            pieces[-1] += " " + sentence
        else:
            pieces.append(sentence)
    return pieces


def sentences_of(text: str) -> list[str]:
    """Every sentence of a passage, line by line (bullets and table cells are lines)."""
    return [s for line in text.splitlines() for s in split_sentences(line, 0) if s.strip()]


def _units(blocks: list[Block]) -> list[_Unit]:
    """A bullet list joins the paragraph right before it: its lead sentence."""
    units: list[_Unit] = []
    for block in blocks:
        if block.kind == "bullet" and units and units[-1].blocks[-1].kind in ("paragraph", "bullet"):
            units[-1] = _Unit(units[-1].blocks + (block,))
        else:
            units.append(_Unit((block,)))
    return units


def _lead_context(lead: Block, max_chars: int) -> str:
    """The lead repeated before each part of a long list: whole if short, else its last sentence."""
    if len(lead.text) <= max_chars // 3:
        return lead.text
    return split_sentences(lead.text, 0)[-1]


def _label(text: str) -> str:
    """'- Coentreprises: Ce type ...' -> '- Coentreprises:' so each piece of a long bullet keeps its topic."""
    head, sep, _ = text.partition(":")
    return f"{head}:" if sep and len(head) <= 60 and head.startswith("-") else ""


def _pieces(block: Block, max_chars: int) -> list[str]:
    """Split one long block at sentence ends; later pieces repeat the bullet label, or when they open on what
    came before ('Pour surmonter cela, …'), the sentence it refers to: read alone, 'cela' would be anything."""
    label = _label(block.text)
    pieces = split_sentences(block.text, max_chars - len(label))
    later = []
    for before, piece in zip(pieces, pieces[1:]):
        if label:
            piece = f"{label} {piece}"
        elif _REFERS_BACK.match(piece):
            piece = f"{split_sentences(before, 0)[-1]} {piece}"
        later.append(piece)
    return [pieces[0], *later]


def _split_unit(unit: _Unit, max_chars: int) -> list[tuple[tuple[Block, ...], str]]:
    """A unit too long for one chunk -> (blocks, text) parts; list parts repeat the lead context."""
    lead, *items = unit.blocks
    if not items:
        return [((lead,), piece) for piece in _pieces(lead, max_chars)]
    context = _lead_context(lead, max_chars)
    parts: list[tuple[tuple[Block, ...], str]] = []
    current: list[Block] = []

    def close() -> None:
        if current:
            parts.append(((lead, *current), "\n".join([context] + [b.text for b in current])))
            current.clear()

    if context != lead.text:  # the lead is too long to repeat: it gets a chunk of its own
        parts.extend(((lead,), piece) for piece in _pieces(lead, max_chars))
    for item in items:
        if len(context) + 1 + len(item.text) > max_chars:
            close()  # a bullet too long to share: its pieces repeat its label instead of the lead
            parts.extend(((item,), piece) for piece in _pieces(item, max_chars))
            continue
        if current and len(context) + sum(len(b.text) + 1 for b in current + [item]) > max_chars:
            close()
        current.append(item)
    close()
    return parts


def chunk_section(source: str, section: str, blocks: list[Block], max_chars: int) -> list[Chunk]:
    chunks: list[Chunk] = []
    pending: list[_Unit] = []

    def flush() -> None:
        if pending:
            merged = tuple(b for u in pending for b in u.blocks)
            chunks.append(make_chunk(source, section, merged, "\n".join(u.text for u in pending)))
            pending.clear()

    for unit in _units(blocks):
        if unit.blocks[0].kind == "table_row":
            flush()
            chunks.append(make_chunk(source, section, unit.blocks))
        elif len(unit.text) > max_chars:
            flush()
            chunks.extend(make_chunk(source, section, b, t) for b, t in _split_unit(unit, max_chars))
        else:
            if pending and sum(len(u.text) + 1 for u in pending) + len(unit.text) > max_chars:
                flush()
            pending.append(unit)
    flush()
    return chunks


def chunk_document(doc: Document, max_chars: int) -> list[Chunk]:
    chunks: list[Chunk] = []
    body = [b for b in doc.blocks if b.kind != "heading"]
    for section, group in groupby(body, key=lambda b: b.section):
        chunks.extend(chunk_section(doc.source, section, list(group), max_chars))
    return _dedupe(_flag_document(doc, chunks))


def _flag_document(doc: Document, chunks: list[Chunk]) -> list[Chunk]:
    """A file that addresses the assistant anywhere (hidden HTML, a heading with no text under it
    included) is untrusted throughout: its other passages may carry the payload, e.g. the false
    figure split away from the instruction."""
    reason = next((c.flagged for c in chunks if c.flagged), "") \
        or next((r for b in doc.blocks if b.kind == "heading" and (r := detect(b.text))), "")
    return [c if c.flagged or not reason else replace(c, flagged=f"document:{reason}") for c in chunks]


def chunk_corpus(docs: list[Document], max_chars: int) -> list[Chunk]:
    return _dedupe([c for d in docs for c in chunk_document(d, max_chars)])


def _dedupe(chunks: list[Chunk]) -> list[Chunk]:
    seen: set[str] = set()
    return [c for c in chunks if not (c.id in seen or seen.add(c.id))]
