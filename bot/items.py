"""A question asking for several things that a labelled list of the report answers ('Quels modèles d'affaires
le rapport propose-t-il ?': '- Coentreprises: …', '- Licences technologiques: …', '- Établissement direct via des
WFOE: …') gets the list itself: one line per item, its label and its first sentence, each cited to the passage where
the item starts. The chunker cuts a long list into passages, so retrieval alone finds some of its items, and a
summary by the model drops the rest."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.chunk import sentences_of
from bot.lang import detect_language
from bot.prompts import ITEMS, TRANSLATED
from bot.rows import about_title, stems
from bot.types import Chunk, Language, Passage

# '- Coentreprises: Ce type d'approche …': a bullet, a label of a few words, a colon, its text.
_ITEM = re.compile(r"^\s*[-•*]\s*(?P<label>[^:\n]{3,90}?)\s*:\s*(?P<text>\S.*)$")
MIN_ITEMS = 2
COMMON_SHARE = 0.25


@dataclass(frozen=True)
class Item:
    n: int  # the passage where the item starts, 1-based
    label: str  # in the reader's language
    sentence: str  # the item's first sentence, in the reader's language
    translated: bool


def item_line(text: str) -> re.Match[str] | None:
    """The first labelled bullet of a passage's text."""
    return next((m for m in map(_ITEM.match, text.split("\n")) if m), None)


def whole_list(passages: Sequence[Passage], chunks: Sequence[Chunk], question: str,
               english: Callable[[str], str | None] | None = None) -> tuple[Passage, ...] | None:
    """For a question asking for several things: when the closest passage is an item of a labelled list, another
    item of it is among the passages found, and the question is about that list (it shares a word with the
    list's heading or the sentence opening it, other than the words most of its document uses, and names none
    of its items: a question naming one asks about that one), the passage where each item starts, in the
    report's order. None otherwise. `english(line)`, for an English question, is a line's English rendering:
    'entry' is compared with 'the following entry modes', not with 'les modes d'entrée suivants'."""
    if not passages or item_line(passages[0].chunk.text) is None:
        return None
    position = {c.id: i for i, c in enumerate(chunks)}
    i = position.get(passages[0].chunk.id)
    if i is None:
        return None
    first, last = _run(chunks, i)
    label = {j: item_line(chunks[j].text)["label"] for j in range(first, last + 1)}  # each holds an item
    starts: dict[str, Chunk] = {}  # the item's label, folded -> the passage where it starts
    for j in range(first, last + 1):
        if not chunks[j].flagged:
            starts.setdefault(label[j].casefold(), chunks[j])
    found = {label[position[p.chunk.id]].casefold() for p in passages if position.get(p.chunk.id) in label}
    labels = [label[position[c.id]] for c in starts.values()]
    if english is not None:
        labels += [m["label"] for c in starts.values() if (m := item_line(_english_text(c.text, english)))]
    if len(found) < MIN_ITEMS or any(about_title(question, name) for name in labels):
        return None
    document = [c.text for c in chunks if c.source == chunks[i].source]
    common = _common_stems(document)
    titles = [chunks[i].section, *(line for c in chunks[first:last + 1] for line in c.text.split("\n")
                                   if line.rstrip().endswith(":") and not item_line(line))]
    if english is not None:
        common |= _common_stems([_english_text(text, english) for text in document])
        titles += [r for title in titles if (r := english(title))]
    if not any(about_title(question, title, common) for title in titles):
        return None
    best = {p.chunk.id: p for p in passages}
    return tuple(Passage(c, n, best[c.id].score if c.id in best else 0.0,
                         best[c.id].similarity if c.id in best else passages[0].similarity)
                 for n, c in enumerate(starts.values(), 1))


def _english_text(text: str, english: Callable[[str], str | None]) -> str:
    """A passage's lines in English, those without a rendering left out."""
    return "\n".join(r for line in text.split("\n") if (r := english(line)))


def _common_stems(texts: Sequence[str]) -> frozenset[str]:
    """The words (stems) a quarter or more of a document's passages use: its topic, which says nothing of a list."""
    counts = Counter(stem for text in texts for stem in stems(text))
    return frozenset(stem for stem, n in counts.items() if n >= COMMON_SHARE * len(texts))


def _run(chunks: Sequence[Chunk], i: int) -> tuple[int, int]:
    """The first and last passage of the list passage i belongs to: the passages of its document and section
    that hold an item, next to each other."""
    def same_list(j: int) -> bool:
        return chunks[j].source == chunks[i].source and chunks[j].section == chunks[i].section \
            and item_line(chunks[j].text) is not None

    first, last = i, i
    while first > 0 and same_list(first - 1):
        first -= 1
    while last + 1 < len(chunks) and same_list(last + 1):
        last += 1
    return first, last


def list_items(passages: Sequence[Passage], language: Language, read: Sequence[str | None] = ()) -> tuple[Item, ...]:
    """Each item of a whole list (`whole_list`) in the reader's language: its own words, or for an English
    reader the English rendering of its line. () when an item has none (the model then reads the list)."""
    out = []
    for i, passage in enumerate(passages):
        rendering = read[i] if language == "en" and i < len(read) else None
        if language == "en" and rendering is None:
            return ()
        if rendering is None and detect_language(passage.chunk.text, default=language) != language:
            return ()
        match = item_line(rendering or passage.chunk.text)
        if match is None or detect_language(match["text"], default=language) != language:
            return ()  # the rendering lost the item's label, or left its line in French: the model reads the list
        first = next(iter(sentences_of(match["text"])), match["text"]).strip()
        out.append(Item(passage.rank, match["label"].strip(), first, bool(rendering)))
    return tuple(out)


def items_text(items: Sequence[Item], language: Language) -> str:
    lines = [ITEMS[language].format(translated=TRANSLATED[any(i.translated for i in items)][language])]
    lines += [f"- {item.label} : {item.sentence} [{item.n}]" if language == "fr"
              else f"- {item.label}: {item.sentence} [{item.n}]" for item in items]
    return "\n".join(lines)
