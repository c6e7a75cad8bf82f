"""English renderings of the passages: made once by the local model, checked line by line, cached.

An English question is answered from English text: the 1.5B model, reading French passages, writes
half-French English ("transfrontalier", "marque blanche") and misses answers it has. Each line of a
passage (a paragraph, a bullet, a table row) is translated on its own, so that nothing is summarised
away, and a rendering is kept only when it holds every figure and every name of its line; a line
that fails keeps its French. The cache is keyed by the line, the translating model's checksum and the
prompt, and lives in the repository (`index/renderings.en.jsonl`): a fresh set-up does not pay for
it, and `python -m bot render` makes what a new document needs. Citations still point to the French
original, and the checks still read it.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from wordfreq import zipf_frequency

from bot.binding import mentions_name, names_in, specific
from bot.chunk import sentences_of
from bot.glossary import english_terms, english_wording, variants
from bot.normalize import figures, fold
from bot.prompts import TRANSLATE_LINE, TRANSLATE_PLAIN, plain_translation, translation_lines
from bot.types import Chunk

RENDERER = "1.5b"  # the generator (bot.models.GENERATORS) that makes the renderings, whichever one answers
MIN_LENGTH_RATIO = 0.6  # an English line shorter than this share of its French has lost something
# The embedder's cosine between a line and its rendering: a translation scores about 0.9, unrelated text
# under 0.1; an echoed instruction ("Every clause and every item of a list.") falls below this.
MIN_SIMILARITY = 0.7
Close = Callable[[str, str], bool]
_ELIDED = re.compile(r"^[LlDd]['’]")  # "L'IA" names "IA"


@lru_cache(maxsize=4096)  # asked for every line of every passage shown, for each English question
def line_key(line: str, model_sha256: str) -> str:
    """The line's rendering is this model's answer to these messages (the prompt and the terms)."""
    messages = json.dumps(translation_lines(line), ensure_ascii=False)
    return hashlib.sha256(f"{model_sha256}\n{messages}".encode()).hexdigest()[:24]


def _proper(name: str) -> bool:
    """A name a translation must keep: an acronym or a brand, not a capitalised French word ('Pénuries')."""
    return specific(name) and any(w.isupper() or not (zipf_frequency(w.lower(), "fr") and
                                                      not zipf_frequency(w.lower(), "en"))
                                  for w in re.split(r"[\s-]+", name) if w)


def _shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", fold(text))
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


_PROMPT = _shingles(TRANSLATE_LINE) | _shingles(" ".join(TRANSLATE_PLAIN))


def _echoes_prompt(rendering: str) -> bool:
    """Five words in a row of the instruction: the model repeated it instead of (or after) translating."""
    return bool(_shingles(rendering) & _PROMPT)


def faithful(original: str, rendering: str) -> bool:
    """The rendering holds the line's figures (as many of each), its names (or the report's English
    for them: 'MTC' may be 'TCM') and most of its length."""
    if not rendering.strip() or len(rendering) < MIN_LENGTH_RATIO * len(original) or _echoes_prompt(rendering):
        return False
    if Counter(figures(original)) != Counter(figures(rendering)):
        return False
    if _french_left(rendering) or not _terms_carried(original, rendering):
        return False
    names = (_ELIDED.sub("", name) for name in names_in(original))
    return all(mentions_name(name, rendering) for name in names if _proper(name))


_FRENCH_LETTERS = re.compile(r"[éèêëàâçîïôùûœ]")


def _french_left(rendering: str) -> list[str]:
    """The French words a rendering kept ('restrictions transfrontaliers', 'a backend hospitalier'): common
    words of French that English hardly uses. Names are capitalised and not counted."""
    words = re.findall(r"(?<![\w'’])[a-zà-ÿœ][\w'’-]{3,}", rendering)
    return [w for w in words if _FRENCH_LETTERS.search(w)
            or zipf_frequency(w, "fr") >= 2.0 and zipf_frequency(w, "en") < 2.0]


def _terms_carried(original: str, rendering: str) -> bool:
    """Each report term of the line is in its English ('files d'attente' is 'queues', not 'files')."""
    return all(any(mentions_name(form, rendering) for form in variants(english) - {fold(french)})
               for french, english in english_terms(original))


@dataclass(frozen=True)
class Renderings:
    """Line renderings by key; `english(chunk)` is the chunk's English text, or None when no line has one."""

    lines: dict[str, str]
    model_sha256: str

    def line(self, line: str) -> str | None:
        """The line's English. A line the model never rendered whole (one sentence loses a name whatever the
        prompt) has its faithful sentences in English and the others in French; None when none is rendered."""
        whole = self.lines.get(line_key(line, self.model_sha256))
        if whole is not None:
            return whole
        parts = sentences_of(line)
        rendered = [self.lines.get(line_key(part, self.model_sha256)) for part in parts] if len(parts) > 1 else []
        return " ".join(r or part for r, part in zip(rendered, parts)) if any(rendered) else None

    def english(self, chunk: Chunk) -> str | None:
        lines = chunk.text.split("\n")
        rendered = [self.line(line) for line in lines]
        if not any(rendered):
            return None
        return "\n".join(r or line for r, line in zip(rendered, lines))

    def section(self, chunk: Chunk) -> str:
        return self.line(chunk.section) or chunk.section if chunk.section else ""


def load(path: Path, model_sha256: str) -> Renderings:
    """The cached renderings; a missing file or a torn line costs only those renderings."""
    lines: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return Renderings({}, model_sha256)
    for raw in text.splitlines():
        try:
            record = json.loads(raw)
            if isinstance(record.get("key"), str) and isinstance(record.get("text"), str):
                lines[record["key"]] = record["text"]
        except (json.JSONDecodeError, AttributeError):
            continue
    return Renderings(lines, model_sha256)


def _render(line: str, translate: Callable[[list[dict[str, str]]], str], close: Close) -> str | None:
    """The first faithful rendering: the line with the report's terms, then sentence by sentence (a long
    line gets summarised), then both again with a plainer prompt (the first one is sometimes echoed), then
    with the terms written in English in the line itself (the model sometimes ignores the terms given)."""
    parts = sentences_of(line)
    for prompt in (translation_lines, plain_translation, _with_terms_in_english):
        rendering = english_wording(translate(prompt(line)).strip())
        if faithful(line, rendering) and close(line, rendering):
            return rendering
        if len(parts) > 1:
            rendering = english_wording(" ".join(translate(prompt(part)).strip() for part in parts))
            if faithful(line, rendering) and close(line, rendering):
                return rendering
    return None


def _with_terms_in_english(line: str) -> list[dict[str, str]]:
    """The last try: the line with its report terms already in English, which the model then keeps."""
    return translation_lines(english_wording(line))


@dataclass(frozen=True)
class Made:
    reused: int
    made: int
    kept_french: int  # lines with no faithful rendering as a whole
    by_sentence: int = 0  # of those, lines with some sentences rendered on their own


def build(chunks: Iterable[Chunk], translate: Callable[[list[dict[str, str]]], str], path: Path, model_sha256: str,
          close: Close = lambda line, rendering: True, progress: Callable[[str], None] = lambda _: None) -> Made:
    """Render every line (and section title) without a faithful rendering in the cache, `translate(messages)`
    being the model and `close(line, rendering)` the embedder's say on their meaning; append each as it is
    made, so a stopped run keeps its work, then keep in the file only what these chunks use. A line with
    no faithful rendering is not stored (the next run tries it again); its sentences are then rendered and
    stored one by one, those that fail staying in French. The key names the text, the first prompt and the
    model."""
    cache = load(path, model_sha256)
    wanted = list(dict.fromkeys(line for c in chunks for line in [c.section, *c.text.split("\n")] if line.strip()))

    def cached(text: str) -> str | None:
        rendering = cache.lines.get(line_key(text, model_sha256))
        rendering = english_wording(rendering) if rendering is not None else None
        return rendering if rendering is not None and faithful(text, rendering) and close(text, rendering) else None

    good = {line: r for line in wanted if (r := cached(line)) is not None}
    todo = [line for line in wanted if line not in good]
    made = kept = by_sentence = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    torn = path.is_file() and path.stat().st_size and not path.read_bytes().endswith(b"\n")
    with path.open("a", encoding="utf-8") as out:
        if torn:  # a run stopped mid-line: that line is skipped by `load`, the next starts clean
            out.write("\n")

        def store(text: str, rendering: str) -> None:
            out.write(_record(text, rendering, model_sha256))
            out.flush()
            os.fsync(out.fileno())
            good[text] = rendering

        for i, line in enumerate(todo, 1):
            rendering = _render(line, translate, close)
            if rendering is not None:
                store(line, rendering)
                made += 1
            else:
                kept += 1
                parts = sentences_of(line)
                for part in parts if len(parts) > 1 else ():
                    if (earlier := cached(part)) is not None:
                        good[part] = earlier
                    elif (rendering := _render(part, translate, close)) is not None:
                        store(part, rendering)
                by_sentence += len(parts) > 1 and any(part in good for part in parts)
            progress(f"{i}/{len(todo)} lines")
    kept_texts = [text for line in wanted for text in ([line] if line in good else sentences_of(line))]
    partial = path.with_name(path.name + ".partial")
    partial.write_text("".join(_record(text, good[text], model_sha256) for text in dict.fromkeys(kept_texts)
                               if text in good), encoding="utf-8")
    os.replace(partial, path)
    return Made(len(wanted) - len(todo), made, kept, by_sentence)


def _record(line: str, rendering: str, model_sha256: str) -> str:
    return json.dumps({"key": line_key(line, model_sha256), "text": rendering}, ensure_ascii=False) + "\n"
