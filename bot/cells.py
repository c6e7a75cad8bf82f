"""A question about one column of a table row ('Quelle stratégie le tableau recommande-t-il face à la pénurie
de talents ?', 'What is the data privacy challenge, per the table?') is answered by that cell of the row
retrieved first, quoted: the report's words, not a summary of a neighbouring cell."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.lang import detect_language
from bot.normalize import fold
from bot.prompts import CELL, TRANSLATED
from bot.questions import asks_quantity, is_yes_no
from bot.types import Language, Passage

# The report's column labels (folded) and the question words that ask for each. A question asking for
# several ('Which example and which strategy…', 'Comment surmonter le défi…') gets each of them.
_COLUMNS = {
    "strategie": re.compile(r"\b(?:strateg\w*|recommand\w*|recommend\w*|preconis\w*|advise\w*|conseill\w*"
                            r"|solutions?|how (?:should|can|could|do|does|to)\b.*\b(?:handle|overcom\w*|deal"
                            r"|address|manage|tackle)|comment\b.*\b(?:surmont\w*|gerer|faire face|traiter|aborder"
                            r"|contourner)|\bto (?:handle|overcome|deal with|address|tackle)"
                            r"|\bpour (?:surmonter|faire face|gerer|contourner))\b"),
    "exemple reel": re.compile(r"\b(?:exemples?|examples?|illustr\w*)\b"),
    "defi": re.compile(r"\b(?:defis?|challenges?|problemes?|problems?|difficult\w*|en quoi consiste)\b"),
}
_WHOLE_ROW = re.compile(r"\b(?:que dit le tableau|what does the table say)\b")
_TABLE = re.compile(r"\b(?:tableau|table)\b")
_CELL = re.compile(r"^\s*([^:\n]{2,40}?)\s*:\s*(.+)$")


@dataclass(frozen=True)
class Cell:
    n: int  # the passage's number, 1-based
    row: str  # the row's first cell ('Complexité réglementaire'), in the reader's language
    text: str  # 'Stratégie : Les entreprises étrangères…', in the reader's language
    translated: bool


def asked_columns(question: str) -> tuple[str, ...]:
    """The columns a question asks for ('strategie', 'exemple reel', 'defi'), ('*',) for a whole row, or ()."""
    folded = fold(question)
    if is_yes_no(question) or asks_quantity(question):
        return ()
    if _WHOLE_ROW.search(folded):
        return ("*",)
    return tuple(label for label, words in _COLUMNS.items() if words.search(folded))


def cell_for(question: str, passages: Sequence[Passage], language: Language, read: Sequence[str | None] = (),
             leads: bool = False) -> Cell | None:
    """The cells that the question asks for (in the row's order) of the first passage, a table row that `leads`
    the other passages clearly (always, for the whole row), or of the first table row among the passages when
    the question asks about a table ('…dans quelles villes le tableau conseille-t-il…' when the row found is
    fourth). For an English reader, the cells of the row's English rendering (same columns, same order); None
    when there is none."""
    columns = asked_columns(question)
    if not columns or not passages:
        return None
    if columns == ("*",) and not leads:
        return None  # 'Que dit le tableau des barrières ?' asks for the whole table, not its first row
    if leads:
        n = 1 if passages[0].chunk.kind == "table_row" else 0
    else:
        n = next((n for n, p in enumerate(passages, 1) if p.chunk.kind == "table_row"), 0) \
            if _TABLE.search(fold(question)) else 0
    if not n:
        return None
    row = row_cells(passages[n - 1], language, read[n - 1] if len(read) >= n else None)
    if row is None:
        return None
    picked = range(1, len(row.shown)) if columns == ("*",) else [
        i for i, label in enumerate(row.labels) if label in columns]
    if not picked:
        return None
    text = "\n".join(labelled(*row.shown[i], language) for i in picked)
    return Cell(n, row.shown[0][1], text, row.translated)


@dataclass(frozen=True)
class RowCells:
    labels: tuple[str, ...]  # the report's column labels, folded ('strategie', 'exemple reel')
    shown: tuple[tuple[str, str], ...]  # (label, text) of each cell, in the reader's language
    translated: bool


def row_cells(passage: Passage, language: Language, rendering: str | None = None) -> RowCells | None:
    """A table row's cells in the reader's language: its own, or for an English reader those of its English
    `rendering` (same columns, same order). None when it is not a row of cells, or has no version in the
    reader's language (no rendering for an English reader; a row of a document in the other language, left
    to the model, which translates)."""
    rendering = rendering if language == "en" else None
    own = cells_of(passage.chunk.text)
    shown = cells_of(rendering) if rendering else own
    if len(own) < 2 or len(shown) != len(own) or (language == "en" and not rendering):
        return None
    if not rendering and detect_language(passage.chunk.text, default=language) != language:
        return None
    return RowCells(tuple(fold(label) for label, _ in own), tuple(shown), bool(rendering))


def labelled(label: str, text: str, language: Language) -> str:
    """'Stratégie : …' in French, 'Strategy: …' in English."""
    return f"{label} : {text}" if language == "fr" else f"{label}: {text}"


def cell_text(cell: Cell, language: Language) -> str:
    return CELL[language].format(row=cell.row, cell=cell.text, n=cell.n,
                                 translated=TRANSLATED[cell.translated][language])


def cells_of(text: str) -> list[tuple[str, str]]:
    """'Type : Complexité réglementaire\nDéfi : …' -> [('Type', 'Complexité réglementaire'), ('Défi', '…')]."""
    cells = []
    for line in text.splitlines():
        match = _CELL.match(line)
        if not match:
            return []
        cells.append((match.group(1).strip(), match.group(2).strip()))
    return cells
