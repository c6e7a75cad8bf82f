"""The conversation as a PDF: accents and guillemets kept, each citation a footnote with its passage."""
import io
import re

from pypdf import PdfReader

from bot.pdf import conversation_pdf, footnotes
from bot.prompts import UI
from bot.types import Answer, Chunk, Citation, Passage, Timings

from test_render import refusal

MARKET = Chunk("m", "ia-sante-chine-partie-2.txt", "Marché et croissance", "Marché et croissance ¶2",
               "Le marché « chinois » atteindra 18,88 milliards de dollars US d'ici 2030.")
IMAGING = Chunk("i", "ia-sante-chine-partie-2.txt", "Imagerie médicale", "Imagerie médicale ¶1",
                "Philips a localisé ses solutions d'imagerie en Chine.")


def answered(question, text, *chunks):
    citations = tuple(Citation(n, c) for n, c in enumerate(chunks, 1))
    passages = tuple(Passage(c, n, 0.9, 0.8) for n, c in enumerate(chunks, 1))
    return Answer(question, "fr", text, False, citations, passages, Timings(), "m")


def conversation():
    return [answered("Quelle taille en 2030 ?",
                     "Le marché atteindra 18,88 milliards [1] ; Philips s'y est implanté [2].", MARKET, IMAGING),
            answered("Et l'imagerie ?", "Philips a localisé son imagerie médicale [1].", IMAGING),
            refusal("fr", "weak_retrieval")]


def text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_footnotes_run_on_through_the_conversation():
    notes = footnotes(conversation())
    assert [{n: k for n, (k, _) in answer.items()} for answer in notes] == [{1: 1, 2: 2}, {1: 3}, {}]
    assert notes[1][1][1].chunk is IMAGING


def test_the_pdf_has_the_questions_answers_and_citations_as_footnotes():
    data = conversation_pdf(conversation(), "fr")
    assert data.startswith(b"%PDF-")
    text = text_of(data)
    assert UI["export_title"]["fr"] in text and "1. Quelle taille en 2030 ?" in text and "3. What is the AI" in text
    assert re.search(r"18,88 milliards ?1", text) and re.search(r"implanté ?2", text)  # markers become note numbers
    assert "[1]" not in text and "[2]" not in text
    assert "1. Marché et croissance ¶2 — ia-sante-chine-partie-2.txt" in text
    assert "2. Imagerie médicale ¶1 — ia-sante-chine-partie-2.txt" in text
    assert "3. Imagerie médicale ¶1" in text  # the second answer's [1] is the third note
    assert "« Le marché « chinois » atteindra 18,88 milliards de dollars US d'ici 2030. »" in text
    assert "médicale" in text and "Pourquoi" in text  # accents, and the refusal says why


def test_a_note_number_links_to_its_note():
    reader = PdfReader(io.BytesIO(conversation_pdf(conversation(), "en")))
    links = [a.get_object() for page in reader.pages for a in page.get("/Annots", [])
             if a.get_object()["/Subtype"] == "/Link"]
    assert len(links) == 3 and UI["export_title"]["en"] in reader.pages[0].extract_text()
