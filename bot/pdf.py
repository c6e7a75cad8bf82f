"""The conversation as a PDF: each answer's citations as footnotes under it, numbered through the document."""
from __future__ import annotations

import importlib.util
import re
from collections.abc import Sequence
from pathlib import Path

from bot.prompts import UI
from bot.render import why
from bot.types import Answer, Citation, Language

_MARKER = re.compile(r"\s*\[(\d+)\]")  # the space before a marker goes: the note number is set against the word
_FONT = "DejaVu"


def font_dir() -> Path:
    """DejaVu Sans (accents, « », —) as matplotlib, a pinned dependency, ships it: the same font on every
    machine, found without importing matplotlib."""
    spec = importlib.util.find_spec("matplotlib")
    assert spec and spec.origin, "matplotlib is a dependency (pyproject.toml)"
    return Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"


def footnotes(answers: Sequence[Answer]) -> list[dict[int, tuple[int, Citation]]]:
    """For each answer, its markers' numbers -> (footnote number, citation); footnotes run on through the
    conversation, so that two answers' [1] are two notes."""
    numbered, k = [], 0
    for answer in answers:
        notes = {}
        for citation in answer.citations:
            k += 1
            notes[citation.n] = (k, citation)
        numbered.append(notes)
    return numbered


def conversation_pdf(answers: Sequence[Answer], language: Language) -> bytes:
    """Every question, its answer with a superscript note number (a link to the note) for each [n], the
    refusal's reason, then the notes: the cited passage's place, document and full text."""
    from fpdf import FPDF  # imported when a PDF is asked for: the app starts without it

    pdf = FPDF(format="A4")
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=18)
    fonts = font_dir()
    for style, name in (("", "DejaVuSans.ttf"), ("B", "DejaVuSans-Bold.ttf"), ("I", "DejaVuSans-Oblique.ttf")):
        pdf.add_font(_FONT, style, str(fonts / name))
    title = UI["export_title"][language]
    pdf.set_title(title)
    pdf.set_lang(language)
    pdf.add_page()
    pdf.set_font(_FONT, "B", 15)
    pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT", align="L")
    for i, (answer, notes) in enumerate(zip(answers, footnotes(answers)), 1):
        links = {n: pdf.add_link() for n in notes}
        pdf.ln(4)
        pdf.set_font(_FONT, "B", 12)
        pdf.multi_cell(0, 6.5, f"{i}. {answer.question}", new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.ln(1)
        pdf.set_font(_FONT, "", 11)
        pieces = _MARKER.split(answer.text)  # text, marker number, text, ...
        for j, piece in enumerate(pieces):
            if j % 2 == 0:
                pdf.write(6, piece)
            elif int(piece) in notes:
                pdf.char_vpos = "SUP"
                pdf.write(6, str(notes[int(piece)][0]), link=links[int(piece)])
                pdf.char_vpos = "LINE"
            else:
                pdf.write(6, f" [{piece}]")
        pdf.ln(7)
        if why(answer):
            pdf.set_font(_FONT, "I", 10)
            pdf.multi_cell(0, 5.5, why(answer), new_x="LMARGIN", new_y="NEXT", align="L")
        if notes:
            pdf.ln(1)
            pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + 50, pdf.get_y())  # a footnote rule
            pdf.ln(1.5)
        for n, (k, citation) in notes.items():
            if pdf.will_page_break(9):  # a note's head starts where its link lands
                pdf.add_page()
            pdf.set_link(links[n], y=pdf.get_y(), page=pdf.page)
            chunk = citation.chunk
            pdf.set_font(_FONT, "B", 8.5)
            pdf.multi_cell(0, 4.3, f"{k}. {chunk.location} — {chunk.source}", new_x="LMARGIN", new_y="NEXT", align="L")
            pdf.set_font(_FONT, "", 8.5)
            pdf.multi_cell(0, 4.3, f"« {chunk.text} »", new_x="LMARGIN", new_y="NEXT", align="L")
            pdf.ln(1)
    return bytes(pdf.output())
