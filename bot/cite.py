"""[n] markers: parse, drop invalid ones, attribute uncited sentences, check every figure (pure)."""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.normalize import figures, fold
from bot.types import Passage, Withdrawn

_GROUP = re.compile(r"([ \t]*)\[\s*(\d+(?:\s*(?:[,;]|-|–|and|et)\s*\d+)*)\s*\]")
MARKER = re.compile(r"\[(\d+)\]")
_AFTER_STOP = re.compile(r"([.!?])((?:[ \t]*\[\d+\])+)")  # 'X. [1]' -> 'X [1].'
_ABBREVIATIONS = ("Mr", "Ms", "Dr", "Mme", "M", "St", "Inc", "Ltd", "Co", "vs", "No")
_SENTENCE = re.compile(r"(?<=[.!?;])" + "".join(rf"(?<!\b{a}\.)" for a in _ABBREVIATIONS) + r"\s+(?=\S)")
# Where a sentence or a list line is finished: its closing punctuation (with the markers around it), or the
# end of a line followed by another.
_FINISHED = re.compile(r"(?:[.!?;:»”](?:[ \t]*\[\d+\])*|(?:[ \t]*\[\d+\])+[.!?;:]?)(?=[ \t]*(?:\n|$))"
                       r"|[.!?»”](?:[ \t]*\[\d+\])*(?=\s)")
_LIST_NUMBER = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•])\s+")
# A line the model labels with its passage ('[2] Il a ses chances…'): each sentence of it cites that passage.
_LINE_LABEL = re.compile(r"(?m)^[ \t]*((?:\[\d+\][ \t]*)+)((?!\[)\S.*?)[ \t]*$")

# A sentence with no figure in common with any passage is attributed by meaning alone only above this
# (its closeness to the passage or to the passage's closest sentence); below, it is removed.
MIN_ATTRIBUTION_SIMILARITY = 0.5
# Below it, a list item of at most this many words is tied to a passage holding all its content words.
MAX_ITEM_WORDS = 12
_FUNCTION_WORDS = frozenset("""about also been from have into more most other such than that their them then there
these they this those through which while with will would dans avec pour sont leur leurs cette entre plus
comme mais aussi elle elles""".split())
# All that "Passage [1]", "Passages [1] and [2]" or "Voir la source [2]" hold: a sentence of these is empty.
_EMPTY = re.compile(r"\b(?:passages?|answer|r[ée]ponse|sources?|see|voir|cf|and|et|or|ou|in|dans|the|le|la|les"
                    r"|of|de|du|des|from)\b|[\W_]", re.IGNORECASE)


@dataclass(frozen=True)
class Checked:
    text: str
    cited: tuple[int, ...]  # passage numbers (1-based), in order of first citation
    dropped_markers: int  # markers pointing to no passage
    unsupported_figures: tuple[str, ...]  # figures of removed sentences: in no passage given
    attributed: int  # sentences the model left uncited that got a citation here
    removed: int = 0  # sentences tied to no passage (no figure, too far in meaning), or empty
    withdrawn: tuple[Withdrawn, ...] = ()  # the sentences taken out, with their reason


def _expand(group: str) -> list[int]:
    numbers: list[int] = []
    for part in re.split(r"\s*(?:[,;]|and|et)\s*", group):
        bounds = re.split(r"\s*[-–]\s*", part)
        if len(bounds) == 2 and bounds[0].isdigit() and bounds[1].isdigit() and int(bounds[1]) - int(bounds[0]) < 10:
            numbers.extend(range(int(bounds[0]), int(bounds[1]) + 1))
        elif part.isdigit():
            numbers.append(int(part))
    return numbers


def normalize_markers(text: str, n_passages: int) -> tuple[str, int]:
    """'[1, 3]' -> '[1][3]'; markers outside 1..n_passages are removed and counted."""
    dropped = 0

    def rewrite(match: re.Match) -> str:
        nonlocal dropped
        numbers = _expand(match.group(2))
        valid = [n for n in numbers if 1 <= n <= n_passages]
        dropped += len(numbers) - len(valid)
        return match.group(1) + "".join(f"[{n}]" for n in dict.fromkeys(valid)) if valid else ""

    text = _LINE_LABEL.sub(_labelled_line, _GROUP.sub(rewrite, text))
    return _AFTER_STOP.sub(lambda m: m.group(2) + m.group(1), text).strip(), dropped


def _labelled_line(match: re.Match) -> str:
    label = match.group(1).strip()
    parts = [p.strip() for p in _SENTENCE.split(match.group(2)) if p.strip()]
    return " ".join(p if MARKER.search(p) else f"{p} {label}" for p in parts)


def split_answer(text: str) -> list[str]:
    """Sentences and list lines; markers written after the full stop stay with their sentence."""
    merged: list[str] = []
    for line in text.splitlines():
        prefix = _LIST_NUMBER.match(line)
        head = prefix.group(0) if prefix else ""
        parts = [p.strip() for p in _SENTENCE.split(line[len(head):])]
        for k, part in enumerate(p for p in parts if p):
            if merged and k and not MARKER.sub("", part).strip():
                merged[-1] += " " + part
            else:
                merged.append((head.strip() + " " + part).strip() if k == 0 and head else part)
    return merged


def without_cut_sentence(text: str) -> str:
    """A draft the token limit stopped, up to its last finished sentence or list line ('…de leur vision à long
    [2]' is dropped); a draft with no finished sentence is kept whole, for the checks to judge."""
    ends = [m.end() for m in _FINISHED.finditer(text)]
    return text[:ends[-1]].rstrip() if ends else text


def markers(sentence: str) -> list[int]:
    return [int(n) for n in MARKER.findall(sentence)]


def sentence_figures(sentence: str) -> set[str]:
    return set(figures(_LIST_NUMBER.sub("", MARKER.sub("", sentence))))


def _is_lead_in(sentence: str) -> bool:
    """'The report names three barriers:' introduces a list; it needs no citation of its own."""
    return MARKER.sub("", sentence).rstrip().endswith(":")


def check_answer(
    raw: str,
    passages: Sequence[Passage],
    similarity: Callable[[list[str]], list[list[float]]] | None = None,
    texts: Sequence[str] = (),
) -> Checked:
    """Make every kept sentence cite a passage that holds its figures.

    A sentence whose figures are in no passage is removed (its figures are reported). A sentence
    left uncited, or citing a passage without its figures, gets the passage that holds them, chosen
    by `similarity(sentences)` (per sentence, similarity to each passage) when given, or, for a short
    list item too far in meaning, the passage whose text (`texts`: each passage with the rendering
    the model read) holds all its words; one that cannot be tied to any passage is removed, as is a
    sentence with nothing but markers."""
    text, dropped = normalize_markers(raw, len(passages))
    parts = split_answer(text)
    sentences = [s for s in parts if _EMPTY.sub("", MARKER.sub("", s))]
    withdrawn = [Withdrawn(s, "empty") for s in parts if not _EMPTY.sub("", MARKER.sub("", s))]
    repeated = _repeats(sentences)
    withdrawn += [Withdrawn(sentences[i], "repeated") for i in repeated]
    sentences = [s for i, s in enumerate(sentences) if i not in repeated]
    removed = len(parts) - len(sentences)
    held = [set(figures(p.chunk.text)) for p in passages]
    everywhere = set().union(*held) if held else set()

    def supported(sentence: str) -> bool:
        cited = markers(sentence)
        return bool(cited) and sentence_figures(sentence) <= set().union(*(held[n - 1] for n in cited))

    todo = [i for i, s in enumerate(sentences) if not supported(s)]
    bodies = [MARKER.sub("", sentences[i]).strip() for i in todo]
    scores = dict(zip(todo, similarity(bodies))) if (similarity and todo) else {}
    kept: list[str] = []
    unsupported: list[str] = []
    attributed = 0
    for i, sentence in enumerate(sentences):
        if i not in todo:
            kept.append(sentence)
            continue
        figs = sentence_figures(sentence)
        if not figs <= everywhere:
            unsupported.extend(sorted(figs - everywhere))
            withdrawn.append(Withdrawn(sentence, "unsupported_figure", ", ".join(sorted(figs - everywhere))))
            continue
        candidates = [j for j, h in enumerate(held) if figs <= h]
        sims = scores.get(i)
        best = max(candidates, key=lambda j: sims[j]) if (sims and candidates) else (candidates or [None])[0]
        if best is None or (not figs and (sims is None or sims[best] < MIN_ATTRIBUTION_SIMILARITY)):
            holder = _holding(sentence, texts, candidates)
            if holder is not None:
                kept.append(_attach(MARKER.sub("", sentence).rstrip(), holder + 1))
                attributed += 1
            elif _is_lead_in(sentence):
                kept.append(sentence)
            else:
                removed += 1
                withdrawn.append(Withdrawn(sentence, "untied"))
            continue
        kept.append(_attach(MARKER.sub("", sentence).rstrip(), best + 1))
        attributed += 1
    final = ("\n" if "\n" in text else " ").join(kept).strip()
    cited_numbers = tuple(dict.fromkeys(n for s in kept for n in markers(s)))
    return Checked(final, cited_numbers, dropped, tuple(dict.fromkeys(unsupported)), attributed, removed,
                   tuple(withdrawn))


def _repeats(sentences: Sequence[str]) -> set[int]:
    """The sentences saying nothing an earlier one did not (every word of theirs is in it): a model going
    over its passages one by one writes the same sentence under each."""
    said: list[set[str]] = []
    found = set()
    for i, sentence in enumerate(sentences):
        words = set(re.findall(r"[^\W_]+", fold(_LIST_NUMBER.sub("", MARKER.sub("", sentence)))))
        if len(words) >= 3 and any(words <= earlier for earlier in said):
            found.add(i)
        else:
            said.append(words)
    return found


def _stem(word: str) -> str:
    return word[:6]


def _holding(sentence: str, texts: Sequence[str], candidates: Sequence[int]) -> int | None:
    """The first passage whose text holds every content word of a short item ('- Billing and
    appointment scheduling'): a list item too short to embed near its passage is tied by its words."""
    words = re.findall(r"[^\W\d_]+", fold(_LIST_NUMBER.sub("", MARKER.sub("", sentence))))
    content = {_stem(w) for w in words if len(w) >= 4 and w not in _FUNCTION_WORDS}
    if not content or len(words) > MAX_ITEM_WORDS:
        return None
    for j in candidates:
        if j < len(texts) and content <= {_stem(w) for w in re.findall(r"[^\W\d_]+", fold(texts[j]))}:
            return j
    return None


def _attach(body: str, n: int) -> str:
    """Put the marker before the closing punctuation: 'X.' -> 'X [n].'"""
    if body and body[-1] in ".!?;:":
        return f"{body[:-1].rstrip()} [{n}]{body[-1]}"
    return f"{body} [{n}]"
