"""The corpus documents as they read, as safe HTML (headings, paragraphs, lists, tables); blocks name their passages."""
from __future__ import annotations

import html
import re
from collections.abc import Sequence
from itertools import groupby

from bot.types import Block, Chunk, Document

_BULLET = re.compile(r"^\s*[-*•–]\s+")
_MIN_LINE = 15  # shorter lines of a passage ("- Coentreprises:") are labels, found everywhere


def holders(block: Block, chunks: Sequence[Chunk]) -> list[str]:
    """The ids of the passages (chunks of the block's section) that show this block, whole or in part: a
    passage holds a whole block, or a long block is split over several passages, each holding sentences
    of it (after the bullet's label they repeat)."""
    whole = [c.id for c in chunks if block.text in c.text]
    if whole:
        return whole
    return [c.id for c in chunks
            if any(len(part) >= _MIN_LINE and part in block.text
                   for line in c.text.splitlines() for part in (line, line.split(":", 1)[-1].strip()))]


def _cells(block: Block) -> list[tuple[str, str]]:
    """A table row's (header, cell) pairs, as ingest wrote them: one 'Header : cell' line each."""
    pairs = []
    for line in block.text.splitlines():
        header, sep, cell = line.partition(" : ")
        pairs.append((header, cell) if sep else ("", line))
    return pairs


def _attrs(block: Block, by_section: dict[str, list[Chunk]]) -> str:
    ids = holders(block, by_section.get(block.section, []))
    return f' data-chunks="{" ".join(ids)}"' if ids else ""


def _table(rows: list[Block], by_section: dict[str, list[Chunk]]) -> str:
    headers: list[str] = []
    for row in rows:
        headers += [h for h, _ in _cells(row) if h not in headers]
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = dict(_cells(row))
        tds = "".join(f"<td>{html.escape(cells.get(h, ''))}</td>" for h in headers)
        body.append(f"<tr{_attrs(row, by_section)}>{tds}</tr>")
    return f'<div class="table"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def document_html(doc: Document, chunks: Sequence[Chunk]) -> str:
    """One document: each block an element carrying `data-chunks`, the ids of the passages that show it,
    so that a passage is found in the document by `[data-chunks~="<id>"]`."""
    by_section: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        if chunk.source == doc.source:
            by_section.setdefault(chunk.section, []).append(chunk)
    parts = [f'<h2 class="document">{html.escape(doc.source)}</h2>']
    blocks = list(doc.blocks)
    for kind, group in groupby(enumerate(blocks), key=lambda pair: pair[1].kind):
        numbered = list(group)
        run = [b for _, b in numbered]
        if kind == "heading":
            for i, block in numbered:
                tag = "h4" if i + 1 < len(blocks) and blocks[i + 1].kind == "table_row" else "h3"  # a table's title
                parts.append(f"<{tag}>{html.escape(block.text)}</{tag}>")
        elif kind == "bullet":
            items = "".join(f"<li{_attrs(b, by_section)}>{html.escape(_BULLET.sub('', b.text))}</li>" for b in run)
            parts.append(f"<ul>{items}</ul>")
        elif kind == "table_row":
            parts.append(_table(run, by_section))
        else:
            parts.extend(f"<p{_attrs(b, by_section)}>{html.escape(b.text)}</p>" for b in run)
    return "".join(parts)


def report_html(docs: Sequence[Document], chunks: Sequence[Chunk], title: str) -> str:
    """Every document, folded under `title` until a reader opens it (or a source card opens it)."""
    body = "".join(document_html(d, chunks) for d in docs)
    return (f'<details id="report-details"><summary>{html.escape(title)}</summary>'
            f'<div class="report-body">{body}</div></details>')
