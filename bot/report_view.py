"""The corpus documents as they read, as safe HTML (headings, paragraphs, lists, tables); blocks name their passages."""
from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from itertools import groupby

from bot.prompts import UI
from bot.types import Block, Chunk, Document, Language

# The view in the page (bot/app.py shows it in an element with the id "report").
STYLE = """
#report .report-body { max-height: 70vh; overflow-y: auto; padding: 0 6px; }
#report summary { cursor: pointer; font-weight: 600; }
#report .table { overflow-x: auto; }
#report table { border-collapse: collapse; font-size: 0.9em; }
#report th, #report td { border: 1px solid #d0d4da; padding: 4px 6px; vertical-align: top; text-align: left; }
#report .outlined, #report .english-rendering { outline: 3px solid #c9a227; outline-offset: 2px; background: #fffbe6; }
#report mark.support { background: #ffe066; }
#report .in-english { display: none; }
#report .english-rendering { white-space: pre-line; }
#report .report-tools { display: flex; flex-wrap: wrap; gap: 8px; margin: 6px 0; }
#report .report-tools select, #report .report-tools button { border: 1px solid #d0d4da; border-radius: 4px;
                                                             padding: 2px 8px; max-width: 100%; font-size: 0.9em;
                                                             font-weight: 500; }
#report .report-tools select { padding-right: 28px; }
"""
# A citation [n] in an answer, or a click on a source card (not on a link in it), opens the report view at the
# passage: its document shown, its blocks outlined, its supporting sentence marked (as the card marks it), the
# English toggle offered when the passage has a rendering. Blocks name the passages they show
# (`data-chunks`); the page scrolls to the first one. The labels come with the view: no sentence here.
SCRIPT = r"""
() => {
  const view = () => document.querySelector('#report details');
  const show = (details, source) => {
    details.querySelectorAll('.report-document').forEach((d) => { d.hidden = d.dataset.source !== source; });
    const picker = details.querySelector('.document-picker');
    if (picker) picker.value = source;
  };
  const french = (details) => {
    details.querySelectorAll('.english-rendering').forEach((e) => e.remove());
    details.querySelectorAll('.in-english').forEach((e) => e.classList.remove('in-english'));
    const toggle = details.querySelector('.english-toggle');
    if (toggle) toggle.textContent = toggle.dataset.toEnglish;
  };
  const unmark = (details) => details.querySelectorAll('mark.support').forEach((m) => {
    const parent = m.parentNode;
    m.replaceWith(...m.childNodes);
    parent.normalize();
  });
  // The sentence as the passage has it; a bullet's dash and a label or a table's header are not in the view.
  const mark = (blocks, sentence) => {
    const plain = sentence.trim().replace(/^[-*•–]\s+/, '');
    const wanted = [plain, plain.split(/\s*:\s+/).slice(1).join(': ')].filter((s) => s.length >= 12);
    for (const text of wanted) {
      for (const block of blocks) {
        const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const at = node.data.indexOf(text);
          if (at < 0) continue;
          const range = document.createRange();
          range.setStart(node, at);
          range.setEnd(node, at + text.length);
          const marked = document.createElement('mark');
          marked.className = 'support';
          range.surroundContents(marked);
          return;
        }
      }
    }
  };
  // The toggle is offered while the outlined passage is shown and has an English rendering.
  const offer = (details) => {
    const toggle = details.querySelector('.english-toggle');
    if (!toggle) return;
    const id = CSS.escape(toggle.dataset.chunk || '');
    toggle.hidden = !(details.querySelector('.report-document:not([hidden]) .outlined')
                      && details.querySelector(`.renderings [data-english-of="${id}"]`));
  };
  const open = (id, sentence) => {
    const details = view();
    if (!details) return;
    french(details);
    unmark(details);
    details.querySelectorAll('.outlined').forEach((e) => e.classList.remove('outlined'));
    const blocks = [...details.querySelectorAll(`.report-body [data-chunks~="${CSS.escape(id)}"]`)];
    if (!blocks.length) return;
    details.open = true;
    show(details, blocks[0].closest('.report-document').dataset.source);
    blocks.forEach((e) => e.classList.add('outlined'));
    if (sentence) mark(blocks, sentence);
    const toggle = details.querySelector('.english-toggle');
    if (toggle) toggle.dataset.chunk = id;
    offer(details);
    blocks[0].scrollIntoView({block: 'center'});
  };
  // The outlined passage in English in place of its blocks, or back to them.
  const english = (details, toggle) => {
    if (details.querySelector('.english-rendering')) return french(details);
    const rendering = details.querySelector(`.renderings [data-english-of="${CSS.escape(toggle.dataset.chunk)}"]`);
    const blocks = [...details.querySelectorAll('.outlined')];
    if (!rendering || !blocks.length) return;
    const last = blocks[blocks.length - 1];
    const shown = document.createElement({TR: 'tr', LI: 'li'}[last.tagName] || 'div');
    const holder = last.tagName === 'TR' ? shown.appendChild(document.createElement('td')) : shown;
    if (last.tagName === 'TR') holder.colSpan = last.children.length;
    holder.textContent = rendering.textContent;
    shown.className = 'english-rendering';
    shown.lang = 'en';
    blocks.forEach((b) => b.classList.add('in-english'));
    last.after(shown);
    toggle.textContent = toggle.dataset.toFrench;
  };
  // [n] in the chat: its answer is found by counting back the chat's answers with citations (bot/render.py).
  const cited = (link) => {
    const answers = [...document.querySelectorAll('#chat [data-testid="bot"]')]
      .filter((m) => m.querySelector('a[href^="#source-"]'));
    const back = answers.length - 1 - answers.indexOf(link.closest('[data-testid="bot"]'));
    const n = link.getAttribute('href').slice('#source-'.length);
    return document.querySelector(`#sources .citation-map [data-back="${back}"] [data-n="${CSS.escape(n)}"]`);
  };
  document.addEventListener('click', (event) => {
    const link = event.target.closest('#chat a[href^="#source-"]');
    const entry = link && cited(link);
    if (entry) {
      event.preventDefault();
      open(entry.dataset.chunk, entry.textContent);
      return;
    }
    const toggle = event.target.closest('#report .english-toggle');
    if (toggle) return english(view(), toggle);
    const card = event.target.closest('.source[data-chunk]');
    if (card && !event.target.closest('a')) open(card.dataset.chunk, card.querySelector('mark')?.textContent || '');
  }, true);
  document.addEventListener('change', (event) => {
    const picker = event.target.closest('#report .document-picker');
    if (!picker) return;
    french(view());
    show(view(), picker.value);
    offer(view());
  });
}
"""

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


def _picker(docs: Sequence[Document], language: Language) -> str:
    options = "".join(f'<option value="{html.escape(d.source)}">{html.escape(d.source)}</option>' for d in docs)
    return f'<select class="document-picker" aria-label="{html.escape(UI["document"][language])}">{options}</select>'


def _english(english: Mapping[str, str], language: Language) -> tuple[str, str]:
    """The toggle (hidden until a passage with a rendering is outlined) and the renderings it shows, by
    passage id. Its two labels travel as attributes: the page's script holds no sentence."""
    to_english, to_french = (html.escape(UI[key][language]) for key in ("to_english", "to_french"))
    toggle = (f'<button type="button" class="english-toggle" hidden data-to-english="{to_english}" '
              f'data-to-french="{to_french}">{to_english}</button>')
    store = "".join(f'<div data-english-of="{html.escape(i)}">{html.escape(text)}</div>' for i, text in english.items())
    return toggle, f'<div class="renderings" hidden>{store}</div>'


def report_html(docs: Sequence[Document], chunks: Sequence[Chunk], language: Language,
                english: Mapping[str, str] | None = None) -> str:
    """Every document, folded under the view's title until a reader opens it (or a citation opens it).
    With several documents, a picker shows one at a time; `english` (passage id -> its English rendering)
    lets a reader switch an outlined passage to English."""
    body = "".join(f'<section class="report-document" data-source="{html.escape(d.source)}"{" hidden" if i else ""}>'
                   f"{document_html(d, chunks)}</section>" for i, d in enumerate(docs))
    picker = _picker(docs, language) if len(docs) > 1 else ""
    toggle, store = _english(english, language) if english else ("", "")
    tools = f'<div class="report-tools">{picker}{toggle}</div>' if picker or toggle else ""
    return (f'<details id="report-details"><summary>{html.escape(UI["report"][language])}</summary>'
            f'{tools}<div class="report-body">{body}</div>{store}</details>')
