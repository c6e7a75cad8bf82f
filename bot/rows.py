"""An overview question that a table of the report answers ('What are the main barriers to entry, and how does
the report suggest overcoming them?') gets the table itself: one line per row, its first cell and the columns
the question asks for, each line cited to its row. A summary of the rows would lose what each one says."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.cells import asked_columns, labelled, row_cells
from bot.normalize import fold
from bot.overview import heading_in, section_path
from bot.prompts import ROWS, TRANSLATED
from bot.types import Language, Passage

_STEM = 6  # 'barrières' / 'barriers', 'entrée' / 'entry': words compared on their first letters


@dataclass(frozen=True)
class Row:
    n: int  # the row's passage number, 1-based
    name: str  # its first cell ('Regulatory complexity'), in the reader's language
    cells: tuple[tuple[str, str], ...]  # the columns asked for: (label, text), in the reader's language
    translated: bool


def table_rows(question: str, passages: Sequence[Passage], language: Language,
               read: Sequence[str | None] = ()) -> tuple[Row, ...]:
    """The rows of the table among `passages` (a whole table, as shown for an overview question), when the
    question is about that table (it shares a word with the table's title, in either language). For an
    English reader, each row's English rendering (same columns); () when a row has none, or is not a row of
    cells, or is in neither the reader's language nor rendered."""
    rows = [(i, p) for i, p in enumerate(passages) if p.chunk.kind == "table_row"]
    if len(rows) < 2 or not about_title(question, section_path(rows[0][1].chunk)[-1]):
        return ()
    columns = [c for c in asked_columns(question) if c != "*"]
    out = []
    for i, passage in rows:
        row = row_cells(passage, language, read[i] if i < len(read) else None)
        if row is None:
            return ()
        name = row.shown[0][1]
        asked = tuple(row.shown[k] for k, label in enumerate(row.labels) if label in columns)
        out.append(Row(passage.rank, name[:1].upper() + name[1:], asked, row.translated))
    return tuple(out)


def rows_text(rows: Sequence[Row], language: Language) -> str:
    # No count in the lead: every figure of an answer is one its cited passages state.
    lines = [ROWS[language].format(translated=TRANSLATED[any(r.translated for r in rows)][language])]
    for row in rows:
        said = " ; ".join(labelled(label, text, language) for label, text in row.cells)
        lines.append(f"- {row.name}{' — ' + said if said else ''} [{row.n}]")
    return "\n".join(lines)


def stems(text: str) -> set[str]:
    return {w[:_STEM] for w in re.findall(r"[^\W\d_]{5,}", fold(text))}


def about_title(question: str, title: str, common: frozenset[str] = frozenset()) -> bool:
    """The question shares a word with a title (a heading, in either language, or a label), other than the
    `common` ones (words most passages use: 'santé', 'healthcare')."""
    return bool((stems(question) - common) & (stems(title) | stems(heading_in(title, "en"))))
