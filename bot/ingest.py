"""Corpus files -> Documents made of structural blocks (headings, paragraphs, bullets, table rows)."""
from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from bot.errors import BotError
from bot.injection import detect
from bot.types import Block, Document

SUFFIXES = (".txt", ".md", ".pdf", ".docx", ".html", ".htm")
INTRO = "Introduction"
_BULLET = re.compile(r"^\s*(?:[-*•–]\s+)")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
_MD_TABLE_RULE = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def corpus_files(corpus_dir: Path) -> list[Path]:
    if not corpus_dir.is_dir():
        raise BotError(f"No corpus folder at {corpus_dir}. Put the reports (.txt, .md, .pdf, .docx, .html) there.")
    return sorted(p for p in corpus_dir.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)


@dataclass(frozen=True)
class CorpusFile:
    """One file's bytes, read once: what is hashed is what is then parsed."""

    name: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def read_corpus(corpus_dir: Path) -> list[CorpusFile]:
    return [CorpusFile(p.name, p.read_bytes()) for p in corpus_files(corpus_dir)]


def files_hash(files: list[CorpusFile]) -> str:
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.name.encode() + b"\0" + f.data + b"\0")
    return digest.hexdigest()


def corpus_hash(corpus_dir: Path) -> str:
    return files_hash(read_corpus(corpus_dir))


def load_corpus(corpus_dir: Path) -> list[Document]:
    docs = [load_bytes(f.name, f.data) for f in read_corpus(corpus_dir)]
    if not any(d.blocks for d in docs):
        raise BotError(f"The corpus folder {corpus_dir} holds no readable text.")
    return docs


def load_file(path: Path) -> Document:
    return load_bytes(path.name, path.read_bytes())


def load_bytes(name: str, data: bytes) -> Document:
    suffix = Path(name).suffix.lower()
    try:
        if suffix == ".pdf":
            return parse_lines(name, *_pdf_lines(data))
        if suffix == ".docx":
            return parse_docx(name, data)
        # As text files are read: invalid UTF-8 replaced, any line ending read as "\n".
        text = data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
        if suffix in (".html", ".htm"):
            return parse_html(name, text)
        return parse_lines(name, text.splitlines())
    except BotError:
        raise
    except Exception as exc:  # a damaged file must not stop the other files from being read
        raise BotError(f"Could not read {name}: {exc}") from exc


def _is_heading(line: str) -> bool:
    """The report marks headings only by being short lines without closing punctuation."""
    return (
        len(line) <= 160
        and len(line.split()) <= 25
        and line[:1].isupper()
        and not line.endswith((".", ":", ";", ",", "!", "?", "…", "|"))
        and "|" not in line
    )


def _cells(text: str) -> list[str]:
    return [c.strip() for c in text.strip().strip("|").split("|")]


def parse_lines(source: str, raw_lines: list[str], pages: list[int] | None = None) -> Document:
    """`pages`: the page of each line (a PDF), so its passages say where they are."""
    lines = [ln.strip() for ln in raw_lines]
    out = _Builder(source, pages)
    i = 0
    while i < len(lines):
        out.at(i)
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if not line or not line.strip("| "):
            i += 1
        elif "|" in line and not line.startswith("|") and not line.split("|", 1)[1].strip("| ") and "|" in nxt:
            i = _flat_table(lines, i, out)  # "Title | |||" then "Col | Col |" then rows
        elif line.startswith("|") and _MD_TABLE_RULE.match(nxt):
            i = _md_table(lines, i, out)
        elif m := _MD_HEADING.match(line):
            out.heading(m.group(1))
            i += 1
        elif _BULLET.match(line):
            out.add("bullet", line)
            i += 1
        elif _is_heading(line):
            out.heading(line)
            i += 1
        else:
            out.add("paragraph", line)
            i += 1
    return out.document()


def _flat_table(lines: list[str], i: int, out: "_Builder") -> int:
    """Rows whose cells end with '|' and may run over several lines; each row keeps its headers."""
    title = lines[i].split("|", 1)[0].strip()
    headers = [c for c in _cells(lines[i + 1]) if c]
    out.table(title)
    cells: list[str] = []
    pending = ""
    j = i + 2
    while j < len(lines):
        line = lines[j]
        if "|" not in line and not cells and not pending:
            break
        if not cells and not pending:
            out.at(j)  # a row is found on the page where it starts
        parts = line.split("|")
        pending = f"{pending}\n{parts[0]}".strip() if pending else parts[0].strip()
        for part in parts[1:]:
            cells.append(pending)
            pending = part.strip()
            if len(cells) == len(headers):
                out.row(headers, cells)
                cells = []
        j += 1
    if any(cells) or pending:
        out.row(headers, cells + [pending])
    return j


def _md_table(lines: list[str], i: int, out: "_Builder") -> int:
    headers = _cells(lines[i])
    out.table(out.section)
    j = i + 2
    while j < len(lines) and lines[j].startswith("|"):
        out.at(j)
        out.row(headers, _cells(lines[j]))
        j += 1
    return j


def _pdf_lines(data: bytes) -> tuple[list[str], list[int]]:
    """The text lines of a PDF and the page (1-based) of each."""
    from pypdf import PdfReader

    lines: list[str] = []
    pages: list[int] = []
    for number, page in enumerate(PdfReader(io.BytesIO(data)).pages, 1):
        merged = ""
        for raw in (page.extract_text() or "").splitlines():
            raw = raw.strip()
            # PDF text breaks paragraphs at every line end: join until a sentence closes.
            if merged and raw and not merged.endswith((".", ":", ";", "!", "?")) and raw[:1].islower():
                merged += " " + raw
            else:
                if merged:
                    lines.append(merged)
                merged = raw
        if merged:
            lines.append(merged)
        pages.extend([number] * (len(lines) - len(pages)))
    return lines, pages


def parse_docx(source: str, data: bytes) -> Document:
    """Headings and list items are known by their Word style; a table's first row gives its headers."""
    from docx import Document as WordDocument
    from docx.table import Table

    out = _Builder(source)
    for item in WordDocument(io.BytesIO(data)).iter_inner_content():
        if isinstance(item, Table):
            rows = [[" ".join(cell.text.split()) for cell in row.cells] for row in item.rows]
            if len(rows) > 1:
                out.table(out.section)
                for cells in rows[1:]:
                    out.row(rows[0], cells)
            continue
        text, hidden = _docx_text(item)
        style = (item.style.name if item.style is not None else "").lower()
        if not text:
            pass
        elif style.startswith(("heading", "title")):
            out.heading(text)
        elif style.startswith("list"):
            out.add("bullet", f"- {text}")
        else:
            out.add("paragraph", text)
        if hidden:  # as in HTML (_drop_unseen): kept, visibly marked, so the document is flagged
            out.add("paragraph", f"<hidden>{hidden}</hidden>")
    return out.document()


def _docx_text(paragraph) -> tuple[str, str]:
    """A paragraph's visible text, and its hidden text if it addresses an assistant (else dropped)."""
    seen, unseen = [], []
    for piece in paragraph.iter_inner_content():  # runs, and hyperlinks holding runs
        for run in getattr(piece, "runs", [piece]):
            (unseen if run.font.hidden else seen).append(run.text)
    hidden = " ".join("".join(unseen).split())
    return " ".join("".join(seen).split()), hidden if detect(hidden) else ""


def parse_html(source: str, html: str) -> Document:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    _drop_unseen(soup)
    out = _Builder(source)
    headers: list[str] = []
    for el in soup.find_all(_HTML_BLOCKS):
        text = " ".join(el.get_text(" ", strip=True).split())
        if not text:
            continue
        if el.has_attr(_UNSEEN_ATTR):
            out.add("paragraph", text)
        elif el.name.startswith("h") or el.name == "caption":
            out.heading(text) if el.name != "caption" else out.table(text)
        elif el.name == "li":
            out.add("bullet", f"- {text}")
        elif el.name == "tr":
            cells = [" ".join(c.get_text(" ", strip=True).split()) for c in el.find_all(["th", "td"])]
            if el.find("th") and not el.find("td"):
                headers = cells
            else:
                out.row(headers or [""] * len(cells), cells)
        elif not el.find_parent(["li", "td", "th"]):
            out.add("paragraph", text)
    return out.document()


_HTML_BLOCKS = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "tr", "caption"]
_UNSEEN_TAGS = ["script", "style", "noscript", "template", "nav", "footer"]
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|(?:font-size|opacity)\s*:\s*0(?![.\d])", re.I)
_UNSEEN_ATTR = "data-unseen"


def _drop_unseen(soup) -> None:
    """Comments, scripts, styles, navigation and hidden elements never reach the index, except text
    among them addressed to an assistant: it is kept, visibly marked, as a paragraph where it stood,
    so the document is flagged (bot.chunk) instead of carrying instructions nobody sees."""
    from bs4 import Comment

    hidden = soup.find_all(lambda t: t.has_attr("hidden") or bool(_HIDDEN_STYLE.search(t.get("style", ""))))
    nodes = soup.find_all(string=lambda s: isinstance(s, Comment)) + soup.find_all(_UNSEEN_TAGS) + hidden
    ids = {id(n) for n in nodes}
    outermost = [n for n in nodes if not any(id(a) in ids for a in n.parents)]
    for node in outermost:
        if isinstance(node, Comment):
            text, marked = " ".join(node.split()), "<!-- {} -->"
        else:
            text = " ".join(" ".join(node.find_all(string=True)).split())  # comments inside count too
            attr = " hidden" if node.name not in _UNSEEN_TAGS else ""
            marked = f"<{node.name}{attr}>{{}}</{node.name}>"
        if not detect(text):
            node.extract()
            continue
        kept = soup.new_tag("p", attrs={_UNSEEN_ATTR: ""})
        kept.string = marked.format(text)
        # A paragraph cannot sit inside another block: it goes right after the block holding the node.
        blocks = [a for a in node.parents if a.name in _HTML_BLOCKS]
        if blocks:
            node.extract()
            blocks[-1].insert_after(kept)
        else:
            node.replace_with(kept)


class _Builder:
    """Collects blocks and keeps the current section and paragraph numbering."""

    def __init__(self, source: str, pages: list[int] | None = None):
        self.source = source
        self.section = INTRO
        self.blocks: list[Block] = []
        self.count = 0
        self.pages = pages
        self.page = 0

    def at(self, line: int) -> None:
        """The blocks that follow come from this line (its page, for a PDF)."""
        self.page = self.pages[line] if self.pages else 0

    def heading(self, text: str) -> None:
        self.section = text.strip()
        self.count = 0
        self.blocks.append(Block("heading", self.section, self.section, 0, self.page))

    def table(self, title: str) -> None:
        self.heading(title or self.section)

    def add(self, kind, text: str) -> None:
        self.count += 1
        self.blocks.append(Block(kind, text.strip(), self.section, self.count, self.page))

    def row(self, headers: list[str], cells: list[str]) -> None:
        pairs = [(h, " ".join(c.split())) for h, c in zip(headers, cells)]
        pairs = [(h, c) for h, c in pairs if c]
        if pairs:
            self.add("table_row", "\n".join(f"{h} : {c}" if h else c for h, c in pairs))

    def document(self) -> Document:
        return Document(self.source, tuple(self.blocks))
