"""The report view: the document as it reads (headings, paragraphs, lists, real tables), each passage findable."""
import re
from html.parser import HTMLParser

from bot.chunk import chunk_corpus
from bot.ingest import load_corpus, parse_lines
from bot.prompts import UI
from bot.render import sources_html
from bot.report_view import document_html, report_html

from conftest import REPORT
from test_render import answer, refusal


class Tree(HTMLParser):
    """Tags in order, with their attributes, and whether every opened tag was closed."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.open: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in ("br",):
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open.pop() == tag, tag


def report(max_chars=700):
    docs = load_corpus(REPORT.parent)
    return docs, chunk_corpus(docs, max_chars)


def findable(html: str) -> set[str]:
    return {i for ids in re.findall(r'data-chunks="([^"]*)"', html) for i in ids.split()}


def test_every_passage_of_the_report_is_found_in_the_view_and_every_block_shows_one():
    docs, chunks = report()
    html = document_html(docs[0], chunks)
    assert findable(html) == {c.id for c in chunks}
    tree = Tree(html)
    assert not tree.open  # well formed
    assert all("data-chunks" in a for t, a in tree.tags if t in ("p", "li"))
    assert sum("data-chunks" in a for t, a in tree.tags if t == "tr") == 6  # the table rows; not the header rows
    long = next(c for c in chunks if c.text.startswith("- Coentreprises:"))  # one long bullet, several passages
    shared = re.search(r'<li data-chunks="([^"]*)">Coentreprises:', html).group(1).split()
    assert long.id in shared and len(shared) > 1


def test_the_view_keeps_headings_lists_and_tables():
    docs, chunks = report()
    html = document_html(docs[0], chunks)
    tags = [t for t, _ in Tree(html).tags]
    assert tags.count("h3") == 15 and tags.count("h4") == 2  # sections, and the two tables' titles
    assert "<h3>Imagerie médicale et diagnostics</h3>" in html
    assert "<h4>Barrières à l&#x27;entrée et solutions</h4><div class=\"table\"><table><thead><tr><th>Type</th>" \
           "<th>Défi</th><th>Exemple réel</th><th>Stratégie</th></tr></thead>" in html
    # the second table's third column is empty in the report: ingest keeps only cells with text
    assert tags.count("table") == 2 and tags.count("th") == 4 + 2 and tags.count("td") == 4 * 4 + 2 * 2
    assert "<td>Hainan Boao Lecheng</td>" in html
    assert ">Ali Health, JD Health et Ping An Good Doctor dominent cet espace" in html  # the bullet's dash is gone
    assert tags.count("ul") == 9 and tags.count("li") == 25  # the report's nine lists, each bullet an item


def test_text_is_shown_as_text_and_the_view_opens_under_its_title():
    doc = parse_lines("notes.md", ["# Titre <b>gras</b>", "Un paragraphe <script>alert(1)</script>.",
                                   "- une <img src=x onerror=alert(1)> puce"])
    html = report_html([doc], chunk_corpus([doc], 700), "en")
    assert "<script>" not in html and "<img" not in html and "&lt;script&gt;" in html
    assert html.startswith(f'<details id="report-details"><summary>{UI["report"]["en"]}</summary>')
    assert '<h2 class="document">notes.md</h2><h3>Titre &lt;b&gt;gras&lt;/b&gt;</h3>' in html
    assert not Tree(html).open


def test_source_cards_name_their_passage_for_the_view():
    html = sources_html(answer(), "en")
    assert 'data-chunk="abc"' in html and f'title="{UI["in_report"]["en"]}"' in html
    nearest = sources_html(refusal(), "fr")
    assert [f'data-chunk="c{k}"' in nearest for k in (1, 2, 3)] == [True, True, True]


def test_several_documents_come_with_a_picker_showing_one_at_a_time():
    docs, _ = report()
    notes = parse_lines("notes-marche.md", ["# Notes", "Une note « brève » sur le marché."])
    chunks = chunk_corpus([*docs, notes], 700)
    html = report_html([*docs, notes], chunks, "fr")
    tree = Tree(html)
    assert not tree.open
    options = [a["value"] for t, a in tree.tags if t == "option"]
    assert options == [docs[0].source, "notes-marche.md"]
    assert f'<select class="document-picker" aria-label="{UI["document"]["fr"]}">' in html
    sections = [(a["data-source"], "hidden" in a) for t, a in tree.tags if t == "section"]
    assert sections == [(docs[0].source, False), ("notes-marche.md", True)]  # the first document is shown
    assert findable(html) == {c.id for c in chunks}
    assert "document-picker" not in report_html(docs, chunks, "fr")  # one document: no picker


def test_english_renderings_wait_hidden_for_the_toggle():
    docs, chunks = report()
    plain = report_html(docs, chunks, "en")
    assert "english-toggle" not in plain and "renderings" not in plain
    english = {chunks[0].id: "The <b>market</b>\nline two"}
    html = report_html(docs, chunks, "en", english)
    tree = Tree(html)
    toggle = next(a for t, a in tree.tags if t == "button")
    assert "hidden" in toggle and toggle["class"] == "english-toggle"  # until a passage with a rendering is outlined
    assert toggle["data-to-english"] == UI["to_english"]["en"] and toggle["data-to-french"] == UI["to_french"]["en"]
    assert f'<div data-english-of="{chunks[0].id}">The &lt;b&gt;market&lt;/b&gt;\nline two</div>' in html
    assert '<div class="renderings" hidden>' in html and not tree.open
    assert UI["to_english"]["fr"] in report_html(docs, chunks, "fr", english)
