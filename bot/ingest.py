"""Corpus files -> Documents made of structural blocks (headings, paragraphs, bullets, table rows)."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from bot.errors import BotError
from bot.injection import detect
from bot.types import Block, Document

SUFFIXES = (".txt", ".md", ".pdf", ".html", ".htm")
INTRO = "Introduction"
_BULLET = re.compile(r"^\s*(?:[-*•–]\s+)")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
_MD_TABLE_RULE = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def corpus_files(corpus_dir: Path) -> list[Path]:
    if not corpus_dir.is_dir():
        raise BotError(f"No corpus folder at {corpus_dir}. Put the report (.txt, .md, .pdf, .html) there.")
    return sorted(p for p in corpus_dir.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)


def corpus_hash(corpus_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in corpus_files(corpus_dir):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def load_corpus(corpus_dir: Path) -> list[Document]:
    docs = [load_file(p) for p in corpus_files(corpus_dir)]
    if not any(d.blocks for d in docs):
        raise BotError(f"The corpus folder {corpus_dir} holds no readable text.")
    return docs


def load_file(path: Path) -> Document:
    suffix = path.suffix.lower()
    try:
        if suffix == ".pdf":
            return parse_lines(path.name, _pdf_lines(path))
        if suffix in (".html", ".htm"):
            return parse_html(path.name, path.read_text(encoding="utf-8", errors="replace"))
        return parse_lines(path.name, path.read_text(encoding="utf-8", errors="replace").splitlines())
    except BotError:
        raise
    except Exception as exc:  # a damaged file must not stop the other files from being read
        raise BotError(f"Could not read {path.name}: {exc}") from exc


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


def parse_lines(source: str, raw_lines: list[str]) -> Document:
    lines = [ln.strip() for ln in raw_lines]
    out = _Builder(source)
    i = 0
    while i < len(lines):
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
        out.row(headers, _cells(lines[j]))
        j += 1
    return j


def _pdf_lines(path: Path) -> list[str]:
    from pypdf import PdfReader

    lines: list[str] = []
    for page in PdfReader(path).pages:
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
    return lines


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

    def __init__(self, source: str):
        self.source = source
        self.section = INTRO
        self.blocks: list[Block] = []
        self.count = 0

    def heading(self, text: str) -> None:
        self.section = text.strip()
        self.count = 0
        self.blocks.append(Block("heading", self.section, self.section, 0))

    def table(self, title: str) -> None:
        self.heading(title or self.section)

    def add(self, kind, text: str) -> None:
        self.count += 1
        self.blocks.append(Block(kind, text.strip(), self.section, self.count))

    def row(self, headers: list[str], cells: list[str]) -> None:
        pairs = [(h, " ".join(c.split())) for h, c in zip(headers, cells)]
        pairs = [(h, c) for h, c in pairs if c]
        if pairs:
            self.add("table_row", "\n".join(f"{h} : {c}" if h else c for h, c in pairs))

    def document(self) -> Document:
        return Document(self.source, tuple(self.blocks))
