"""answer(question, history) -> Answer, or a stream of events: language, retrieval, generation, checks."""
from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace


from bot.binding import names_in, specific
from bot.cells import cell_for, cell_text
from bot.checks import Context, Verdict, verify
from bot.cite import MARKER, markers, split_answer, without_cut_sentence
from bot.config import Settings
from bot.confirm import report_figures, settle, settled_text
from bot.embed import Embedder
from bot.evidence import Evidence, SentenceVectors
from bot.errors import InputError
from bot.generate import Generator
from bot.glossary import french_terms
from bot.items import items_text, list_items, whole_list
from bot.lang import detect_language
from bot.localize import localize
from bot.premise import corrected
from bot.prompts import (DISAGREE, NAME_HINT, NOT_COVERED, NOT_FOUND, REPAIR_HINT, SENTENCE_HINT, WHO_HINT,
                         build_messages, error_message, translation_messages)
from bot.questions import asks_about, asks_list, asks_overview, bare_topic, is_follow_up
from bot.quote import in_report_words
from bot.renderings import Renderings
from bot.retrieve import Retriever, focus, read_by_model, whole_table
from bot.rows import rows_text, table_rows
from bot.sanitize import clean_question, clean_text
from bot.types import (Answer, Chunk, Citation, Done, Event, Language, Passage, Retrieved, Status, Timings,
                       Token, Turn)
from bot.vocabulary import unknown_names, vocabulary


class Pipeline:
    """Holds the loaded models; every question goes through `stream` (or `answer`, which drains it)."""

    def __init__(self, settings: Settings, embedder: Embedder, retriever: Retriever, generator: Generator,
                 renderings: Renderings | None = None):
        self.settings = settings
        self.renderings = renderings
        self.embedder = embedder
        self.retriever = retriever
        self.generator = generator
        self.sentence_vectors = SentenceVectors(embedder)  # the checks' passage sentences, kept between questions
        self.figures = report_figures(retriever.index.chunks)  # what a question's figure is checked against
        chunks = retriever.index.chunks  # and the words its names are looked for in
        self.vocabulary = vocabulary([*(c.text for c in chunks), *(c.section for c in chunks),
                                      *(renderings.lines.values() if renderings else ())])

    def validate(self, question: str, language: Language) -> str:
        question = question.strip()
        if not question:
            raise InputError(error_message("empty", language))
        if len(question) > self.settings.max_question_chars:
            raise InputError(error_message("too_long", language, n=len(question),
                                           max=self.settings.max_question_chars))
        return question

    def answer(self, question: str, history: Sequence[Turn] = (), language: Language | None = None) -> Answer:
        for event in self.stream(question, history, language):
            if isinstance(event, Done):
                return event.answer
        raise AssertionError("stream ended without an answer")

    def stream(self, question: str, history: Sequence[Turn] = (), language: Language | None = None) -> Iterator[Event]:
        """`language` is the reader's (the interface's, or a JSON line's), used when the question is too
        short to carry one and the conversation has none."""
        start = time.perf_counter()
        elapsed = lambda: (time.perf_counter() - start) * 1000  # noqa: E731
        # Text from any caller (a Python one included) is cleaned here too: the edges clean it once
        # for display, and cleaning is idempotent. Only the turns the model may be given back are kept,
        # before cleaning: a huge history costs no more than a short one.
        question = clean_question(question)
        turns = self.settings.history_turns
        recent = history[max(0, len(history) - turns):] if turns else ()
        history = [Turn(t.role, clean_text(t.content)) for t in recent]
        previous_user = _previous_question(history)
        previous_lang = detect_language(previous_user, default=language or "en") if previous_user else None
        language = detect_language(question, previous=previous_lang, default=language or "en")
        question = self.validate(question, language)
        timings = Timings()

        yield Status("retrieving")
        history = list(history) if is_follow_up(question) else []
        retrieved = self.search(question, history, self.settings.top_k)
        clean = [p for p in retrieved if not p.chunk.flagged]
        # What the model sees: the retrieved passages, a whole table for an overview question, or a
        # table row that clearly leads, alone; never a passage addressed to an assistant. [n] in the
        # answer is rank n of these; the flagged passages follow them, shown to the reader only.
        # Likewise a labelled list two of whose items were found, for a question asking for several things and
        # naming no company, zone or law (those ask about what the passages say of it).
        chunks = self.retriever.index.chunks
        table = whole_table(clean, chunks, self.settings.table_max_rows + 1) if asks_overview(question) else None
        english = self.renderings.line if self.renderings and language == "en" else None
        listed = whole_list(clean, chunks, question, english) \
            if not table and not history and asks_list(question) and not _names(question) else None
        shown = _numbered(table or listed or focus(clean, self.settings.table_focus_margin))
        passages = shown + _numbered([p for p in retrieved if p.chunk.flagged], len(shown) + 1)
        timings.retrieve_ms = elapsed()
        yield Retrieved(passages)

        def finish(verdict: Verdict | None, reason: str = "") -> Done:
            timings.total_ms = elapsed()
            if verdict is None or verdict.refusal:
                return Done(Answer(question, language, NOT_COVERED[language], True, (), passages, timings,
                                   self.generator.name, verdict.dropped_markers if verdict else 0,
                                   verdict.unsupported_figures if verdict else (),
                                   reason or verdict.refusal, verdict.withdrawn if verdict else ()))
            citations = [Citation(n, shown[n - 1].chunk) for n in sorted(verdict.cited)]
            return Done(Answer(question, language, localize(verdict.text, language), False, tuple(citations),
                               passages, timings, self.generator.name, verdict.dropped_markers,
                               verdict.unsupported_figures, "", verdict.withdrawn))

        if not shown or max(p.similarity for p in clean) < self.settings.min_similarity:
            yield finish(None, "weak_retrieval")
            return
        if unknown_names(question, self.vocabulary):  # 'MedAI Shenzhen': nothing the report says is about it
            yield finish(None, "unknown_name")
            return

        read = [self.renderings.english(p.chunk) for p in shown] if self.renderings and language == "en" else []
        settled = settle(question, shown, language, read, self.figures)
        if settled:  # a figure the question states, confirmed or contradicted by the report's own clause
            cited = [said.n for said in (settled.said, settled.instead) if said]
            yield finish(Verdict(settled_text(settled, language), tuple(dict.fromkeys(cited)), "", (), 0, ()))
            return

        # One column of a table row (not for an overview question: a whole table is answered row by row)
        cell = cell_for(question, shown, language, read, leads=len(shown) == 1) if not table else None
        if cell:  # the cell itself
            yield finish(Verdict(cell_text(cell, language), (cell.n,), "", (), 0, ()))
            return

        rows = table_rows(question, shown, language, read) if table else ()
        if rows:  # an overview a table of the report answers: its rows, each cited
            yield finish(Verdict(rows_text(rows, language), tuple(r.n for r in rows), "", (), 0, ()))
            return

        items = list_items(shown, language, read) if listed else ()
        if items:  # a question a labelled list answers: its items, each cited
            yield finish(Verdict(items_text(items, language), tuple(i.n for i in items), "", (), 0, ()))
            return

        yield Status("writing")
        # A whole table or list is read whole, and so are a follow-up's passages (its two readings take turns
        # in them); otherwise the passages far behind the closest are left unread.
        given = shown if table or listed or history else read_by_model(shown, self.settings.read_margin)

        def messages_for(passages: Sequence[Passage]) -> list[dict[str, str]]:
            return build_messages(question, language, list(passages), list(history), turns=self.settings.history_turns,
                                  chars=self.settings.history_chars, renderings=self.renderings)

        messages = messages_for(given)
        evidence = Evidence(self.embedder, shown, lambda: self.retriever.vectors([p.chunk for p in shown]), read,
                            self.sentence_vectors)
        draft = yield from self._generate(messages, timings, elapsed)
        if len(given) < len(shown) and draft.lstrip().startswith(NOT_FOUND):
            # Not in the passages read: read them all before saying the report does not say.
            messages = messages_for(shown)
            draft = yield from self._generate(messages, timings, elapsed)
        verdict = verify(draft, question, shown, evidence)
        withdrawn = list(verdict.withdrawn)  # every draft's, for a premise said of another company
        # The draft gave a figure the passages do not state or attach to something else (2028 for 2030, the
        # market for a company), or a name for what they say of another: ask once more, quoting the clauses that
        # hold what was asked. Or it gave a bare name or figure, or only passage numbers: ask once more for a
        # sentence. Or it named no one where the question asks who: ask once more for the name. Each at most once,
        # in any order; a later draft keeps the earlier hints (the quotes stay with a sentence).
        prompt, hints = messages[-1]["content"], {}
        bare_draft = draft if verdict.refusal == "fragment" else ""  # its names point at the sentence to quote
        while True:
            if verdict.repair and "repair" not in hints:
                kind = NAME_HINT if verdict.refusal == "misbound_name" else REPAIR_HINT
                hints["repair"] = kind[language].format(quotes=" ".join(verdict.repair))
            elif verdict.refusal in ("fragment", "empty", "unfinished") and "sentence" not in hints:
                hints["sentence"] = SENTENCE_HINT[language]
            elif verdict.refusal == "no_name" and "who" not in hints:
                hints["who"] = WHO_HINT[language]
            else:
                break
            messages[-1] = {"role": "user", "content": "\n".join([prompt, *hints.values()])}
            yield Status("writing")
            draft = yield from self._generate(messages, timings, elapsed)
            verdict = verify(draft, question, shown, evidence)
            withdrawn += verdict.withdrawn
        if not verdict.refusal and _wrong_language(localize(verdict.text, language), language):
            # The model answered in the passages' language: translate it sentence by sentence, keeping
            # each sentence's markers, and check the translation like any answer.
            yield Status("writing")
            translated = verify(self._in_language(verdict.text, language), question, shown, evidence)
            if not translated.refusal:
                verdict = translated
        # Where the report's own sentences serve the reader better than the draft: quoted, and cited.
        ctx = Context.of(question, shown, evidence)
        verdict = corrected(verdict, withdrawn, ctx, language, read)
        verdict = in_report_words(verdict, ctx, language, read,
                                  bare_topic(question) if not history else None, asks_about(question),
                                  retrieval_queries(question, history)[0] if history else None, bare_draft)
        if verdict.conflicts:
            # Two documents disagree on the figure: say so and cite both.
            notes = [DISAGREE[language].format(source=source, words=words, n=n)
                     for n, source, words in verdict.conflicts]
            verdict = replace(verdict, text=" ".join([verdict.text, *notes]),
                              cited=tuple(dict.fromkeys([*verdict.cited, *(n for n, _, _ in verdict.conflicts)])))
        yield finish(verdict)

    def search(self, question: str, history: Sequence[Turn], k: int) -> list[Passage]:
        """The passages for a question: the report's own words for its terms, its follow-up context,
        and every passage naming the company, zone or law it asks about."""
        return self.retriever.search(retrieval_queries(question, history), k, _names(question))

    def _generate(self, messages, timings: Timings, elapsed) -> Iterator[Event]:
        """Stream the model's tokens (holding back a possible refusal marker); return the raw text, without
        the sentence the token limit cut off."""
        raw, shown, pieces = "", 0, 0
        for piece in self.generator.stream(messages, self.settings.max_answer_tokens):
            pieces += 1
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
        return without_cut_sentence(raw) if pieces >= self.settings.max_answer_tokens else raw

    def passage_in(self, chunk: Chunk, language: Language) -> str:
        """A cited passage in the reader's language: its checked English rendering when there is one,
        else the model's translation, made now."""
        rendered = self.renderings.english(chunk) if self.renderings and language == "en" else None
        return rendered or self.translate(chunk.text, language)

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


def _wrong_language(text: str, language: Language) -> bool:
    """An answer of a few words (names, figures) has no language; a longer one must be the reader's."""
    body = MARKER.sub("", text)
    return len(re.findall(r"\w+", body)) >= 6 and detect_language(body, default=language) != language


def _names(question: str) -> list[str]:
    """The companies, zones and laws a question names."""
    return [n for n in names_in(question) if specific(n)]


def _numbered(passages: Sequence[Passage], first: int = 1) -> tuple[Passage, ...]:
    return tuple(replace(p, rank=n) for n, p in enumerate(passages, first))


def _previous_question(history: Sequence[Turn]) -> str | None:
    return next((t.content for t in reversed(history) if t.role == "user"), None)


def retrieval_queries(question: str, history: Sequence[Turn]) -> list[str]:
    """A follow-up ("Et en 2030 ?") is searched with the question it follows, then alone."""
    previous = _previous_question(history) if is_follow_up(question) else None
    terms = french_terms(question)  # 'TCM' is searched with the report's 'MTC' too
    question = " ".join([question, *terms])
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

