"""answer(question, history) -> Answer, or a stream of events: language, retrieval, generation, checks."""
from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence

import numpy as np

from bot.chunk import sentences_of
from bot.cite import MARKER, check_answer, markers, split_answer
from bot.config import Settings
from bot.embed import Embedder
from bot.errors import InputError
from bot.generate import Generator
from bot.lang import detect_language
from bot.prompts import (NOT_COVERED, NOT_FOUND, YEAR_HINT, build_messages, error_message,
                         translation_messages)
from bot.questions import is_follow_up
from bot.retrieve import Retriever, focus
from bot.types import (Answer, Citation, Done, Event, Language, Passage, Retrieved, Status, Timings,
                       Token, Turn)


class Pipeline:
    """Holds the loaded models; every question goes through `stream` (or `answer`, which drains it)."""

    def __init__(self, settings: Settings, embedder: Embedder, retriever: Retriever, generator: Generator):
        self.settings = settings
        self.embedder = embedder
        self.retriever = retriever
        self.generator = generator

    def validate(self, question: str, language: Language) -> str:
        question = question.strip()
        if not question:
            raise InputError(error_message("empty", language))
        if len(question) > self.settings.max_question_chars:
            raise InputError(error_message("too_long", language, n=len(question),
                                           max=self.settings.max_question_chars))
        return question

    def answer(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        for event in self.stream(question, history):
            if isinstance(event, Done):
                return event.answer
        raise AssertionError("stream ended without an answer")

    def stream(self, question: str, history: Sequence[Turn] = ()) -> Iterator[Event]:
        start = time.perf_counter()
        elapsed = lambda: (time.perf_counter() - start) * 1000  # noqa: E731
        previous_user = _previous_question(history)
        previous_lang = detect_language(previous_user) if previous_user else None
        language = detect_language(question, previous=previous_lang)
        question = self.validate(question, language)
        timings = Timings()

        yield Status("retrieving")
        history = list(history) if is_follow_up(question) else []
        passages = tuple(self.retriever.search(retrieval_queries(question, history), self.settings.top_k))
        timings.retrieve_ms = elapsed()
        yield Retrieved(passages)

        def finish(text: str, abstained: bool, citations=(), dropped=0, unsupported=()) -> Done:
            timings.total_ms = elapsed()
            return Done(Answer(question, language, text, abstained, tuple(citations), passages, timings,
                               self.generator.name, dropped, tuple(unsupported)))

        if not passages or max(p.similarity for p in passages) < self.settings.min_similarity:
            yield finish(NOT_COVERED[language], True)
            return

        yield Status("writing")
        shown = focus(passages, self.settings.table_focus_margin)  # [n] numbers refer to these
        messages = build_messages(question, language, list(shown), list(history))
        raw = yield from self._generate(messages, timings, elapsed)
        asked = _years(question)
        if asked and _years(raw) and not asked & _years(raw) and NOT_FOUND not in raw:
            # The answer names another year than the one asked (2028 for 2030): a wrong figure for
            # an investor. Ask once more, quoting the passages on that year.
            missing = asked
            hint = YEAR_HINT[language].format(years=", ".join(sorted(missing)),
                                              quotes=" ".join(_year_clauses(missing, shown)))
            messages[-1] = {"role": "user", "content": f"{messages[-1]['content']}\n{hint}"}
            yield Status("writing")
            raw = yield from self._generate(messages, timings, elapsed)
            if _years(raw) and not asked & _years(raw):
                raw = NOT_FOUND
        body = raw.replace(NOT_FOUND, "").strip()
        similarity = self._similarity(shown)
        checked = check_answer(body, shown, similarity, question) if body else None
        if checked is None or not checked.cited:
            unsupported = checked.unsupported_figures if checked else ()
            yield finish(NOT_COVERED[language], True, dropped=checked.dropped_markers if checked else 0,
                         unsupported=unsupported)
            return
        if _wrong_language(checked.text, language):
            # The model answered in the passages' language: translate it sentence by sentence, keeping
            # each sentence's markers, and check the translation like any answer.
            yield Status("writing")
            translated = check_answer(self._in_language(checked.text, language), shown, similarity, question)
            if translated.cited:
                checked = translated
        citations = [Citation(n, shown[n - 1].chunk) for n in sorted(checked.cited)]
        yield finish(checked.text, False, citations, checked.dropped_markers, checked.unsupported_figures)

    def _generate(self, messages, timings: Timings, elapsed) -> Iterator[Event]:
        """Stream the model's tokens (holding back a possible refusal marker); return the raw text."""
        raw, shown = "", 0
        for piece in self.generator.stream(messages, self.settings.max_answer_tokens):
            if not timings.first_token_ms:
                timings.first_token_ms = elapsed()
            raw += piece
            head = raw.lstrip()
            if head.startswith(NOT_FOUND):
                break
            if len(head) < len(NOT_FOUND) and NOT_FOUND.startswith(head):
                continue  # could still become the refusal marker: hold it back
            yield Token(raw[shown:])
            shown = len(raw)
        return raw

    def translate(self, text: str, language: Language, answer: bool = False) -> str:
        """A cited passage in the reader's language, on demand (the passages stay the evidence),
        or with `answer`, a sentence of an answer."""
        messages = translation_messages(text, language, answer)
        return "".join(self.generator.stream(messages, 2 * len(text) // 3 + 50)).strip()

    def _in_language(self, text: str, language: Language) -> str:
        sentences = []
        for sentence in split_answer(text):
            body = MARKER.sub("", sentence).strip()
            translated = self.translate(body, language, answer=True)
            sentences.append(" ".join([translated, *(f"[{n}]" for n in markers(sentence))]))
        return ("\n" if "\n" in text else " ").join(sentences)

    def sentence_scores(self, claim: str, sentences: list[str]) -> list[float]:
        """Similarity of an answer sentence to each sentence of a passage (for highlighting)."""
        return (self.embedder.embed_queries([claim]) @ self.embedder.embed_documents(sentences).T)[0].tolist()

    def _similarity(self, passages: Sequence[Passage]):
        """Per answer sentence, its closeness to each passage: to the whole passage or to its
        closest sentence, whichever is higher (a sentence copied or translated from the passage
        scores high on the second, a summary of it on the first). The passages are embedded once,
        when first needed, for every check of this answer."""
        vectors: list[np.ndarray] = []  # the whole passages, then each passage's sentences

        def similarity(sentences: list[str]) -> list[list[float]]:
            if not vectors:
                vectors.append(self.retriever.vectors([p.chunk for p in passages]))
                vectors.extend(self.embedder.embed_documents(sentences_of(p.chunk.text)) for p in passages)
            queries = self.embedder.embed_queries(sentences)
            scores = queries @ vectors[0].T
            for j, parts in enumerate(vectors[1:]):
                scores[:, j] = np.maximum(scores[:, j], (queries @ parts.T).max(axis=1))
            return scores.tolist()

        return similarity


def _wrong_language(text: str, language: Language) -> bool:
    """An answer of a few words (names, figures) has no language; a longer one must be the reader's."""
    body = MARKER.sub("", text)
    return len(re.findall(r"\w+", body)) >= 6 and detect_language(body, default=language) != language


def _years(text: str) -> set[str]:
    return set(re.findall(r"\b(?:19|20)\d{2}\b", text))


def _year_clauses(years: set[str], passages: Sequence[Passage]) -> list[str]:
    """'[1] « … 18,88 milliards de dollars US d'ici 2030 »': the clauses of the passages naming those years."""
    quotes = []
    for n, passage in enumerate(passages, 1):
        for clause in re.split(r"(?<=[.;:,])\s+|\n", passage.chunk.text):
            if any(year in clause for year in years) and len(quotes) < 3:
                quotes.append(f"[{n}] « {clause.strip(' ,;.')} »")
    return quotes


def _previous_question(history: Sequence[Turn]) -> str | None:
    return next((t.content for t in reversed(history) if t.role == "user"), None)


def retrieval_queries(question: str, history: Sequence[Turn]) -> list[str]:
    """A follow-up ("Et en 2030 ?") is searched with the question it follows, then alone."""
    previous = _previous_question(history) if is_follow_up(question) else None
    return [f"{previous}\n{question}", question] if previous else [question]


def history_from(items: Sequence[dict]) -> list[Turn]:
    """Turns from JSON-like [{"role": ..., "content": ...}]; anything else is an input error."""
    turns = []
    for item in items:
        if not isinstance(item, dict) or item.get("role") not in ("user", "assistant") \
                or not isinstance(item.get("content"), str):
            raise InputError(error_message("bad_history", "en"))
        turns.append(Turn(item["role"], item["content"]))
    return turns

