"""The report's own sentences, quoted: instead of a draft that fails the checks for how it was written,
and beside an answer about one company or topic, what else the passages say of it."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from bot.binding import classes_in, mentions_name, names_in, years_in
from bot.checks import Context, Verdict, named, names_given, unit
from bot.chunk import sentences_of
from bot.cite import MARKER, markers, sentence_figures
from bot.glossary import terms_in
from bot.lang import detect_language
from bot.prompts import ALSO, MENTIONS, QUOTED, TRANSLATED
from bot.questions import asks_quantity
from bot.types import Language, Passage

# Reasons that say the draft was badly written, not that the passages lack the answer: it repeated the
# question, gave a bare figure, stopped mid-sentence, cited nothing, gave a figure no passage states or ties
# to what was asked, named no one where a name was asked for, or said 'yes' citing a passage that does not
# join what the question joins (a sentence that does, quoted, says what the report says; it never says
# 'yes'). A draft the model itself declined (NOT_FOUND), or one the
# checks found stating another year, class or actor, is not quoted over: those are how the questions the
# report does not answer end.
QUOTABLE = frozenset({"echo", "fragment", "empty", "unfinished", "untied", "no_cited_sentence", "unsupported_figure",
                      "unmarked_forecast", "no_name", "false_premise"})
# The embedder's cosine between the question and the sentence quoted. Measured on the gold set's questions
# (each question against every sentence of its shown passages that names all it asks about):
# the sentences answering a declined answerable question scored 0.61-0.79; the best sentences for the
# unanswerable questions declined for one of the reasons above, at most 0.53.
MIN_QUOTE_SIMILARITY = 0.6
# A bare first draft ('Pékin, Shanghai, Shenzhen et Hainan [1]') points at the sentence of its passage that
# holds every name and figure it gives: that sentence is quoted from this closeness to the question on (the
# draft's own names narrow the choice). Measured on a held-out French question: the sentence giving the four
# cities scored 0.54, and its passage's next sentence 0.44.
MIN_HELD_SIMILARITY = 0.5
# A bare list of two names or more ('Infervision, DeepWise et Shukun Technology [3]') all in one sentence of its
# passage was read from that sentence: the floor then only keeps out a sentence far from the question. Measured
# on a gold list question: the sentence giving the three companies scored 0.45, under the floor above.
MIN_LIST_SIMILARITY = 0.35
MIN_WORDS = 8  # a heading or a table cell ("Zone: Hainan Boao Lecheng") says nothing on its own
MAX_OTHER_MENTIONS = 2


@dataclass(frozen=True)
class Quote:
    n: int  # the passage's number in the answer, 1-based
    sentence: str  # in the reader's language: the passage's own, or its English rendering
    translated: bool  # the sentence is the rendering of a French one
    score: float  # its closeness to the question (0 for another mention of the name asked about)
    name: str = ""  # for another mention: the name, as the question writes it


def in_report_words(verdict: Verdict, ctx: Context, language: Language, read: Sequence[str | None] = (),
                    topic: str | None = None, about: bool = False, asked: str | None = None,
                    bare_draft: str = "") -> Verdict:
    """The verdict with the report's own sentences where they serve the reader better than the draft:
    - a draft declined for how it was written gives way to the sentence closest to the question;
    - for a bare `topic` ('PIPL?'), to where the passages speak of it;
    - a question `about` one company, or a bare topic, answered, also gets what the passages the answer
      does not cite say of it.
    `read`: for an English reader, each passage's English rendering or None. `asked`: what the quoted
    sentence must be close to, when not the question alone (a follow-up, with the question it follows).
    `bare_draft`: a first draft declined as a fragment, whose names and figures point at the sentence to quote."""
    if verdict.refusal in QUOTABLE:
        quote = closest_statement(ctx, language, read, asked) or held_statement(bare_draft, ctx, language, read, asked)
        if quote:
            text = QUOTED[language].format(sentence=quote.sentence, n=quote.n,
                                           translated=TRANSLATED[quote.translated][language])
            verdict = replace(verdict, text=text, cited=(quote.n,), refusal="", unsupported_figures=(), repair=())
    if topic and verdict.refusal in QUOTABLE:
        more = other_mentions(ctx, (), language, read, topic)
        if more:
            text = "\n".join(_mentioned(q, language, first=i == 0) for i, q in enumerate(more))
            verdict = replace(verdict, text=text, cited=tuple(q.n for q in more), refusal="",
                              unsupported_figures=(), repair=())
    elif not verdict.refusal and (about or topic):
        more = other_mentions(ctx, verdict.cited, language, read, topic)
        verdict = replace(verdict, text="\n".join([verdict.text, *(_mentioned(q, language) for q in more)]),
                          cited=(*verdict.cited, *(q.n for q in more)))
    return verdict


def _mentioned(quote: Quote, language: Language, first: bool = False) -> str:
    return (MENTIONS if first else ALSO)[language].format(name=quote.name, sentence=quote.sentence, n=quote.n,
                                                           translated=TRANSLATED[quote.translated][language])


def closest_statement(ctx: Context, language: Language, read: Sequence[str | None] = (),
                      asked: str | None = None) -> Quote | None:
    """The sentence of the shown passages closest to the question among those that name everything it asks
    about (its names, years and class, a figure when it asks how many, a name it does not give when it
    asks which company), in the reader's language (for an English reader, `read` gives each passage's
    English rendering or None). None when none comes close."""
    return _closest(ctx, language, read, asked, MIN_QUOTE_SIMILARITY, lambda n, sentence: _names_all(sentence, ctx))


def held_statement(draft: str, ctx: Context, language: Language, read: Sequence[str | None] = (),
                   asked: str | None = None) -> Quote | None:
    """For a bare draft ('Pékin, Shanghai, Shenzhen et Hainan [1]'), the sentence of a passage it cites that
    holds every name and figure it gives and names everything the question asks about (its report terms may
    be in the passage around it), the closest to the question, if close enough (MIN_HELD_SIMILARITY, or
    MIN_LIST_SIMILARITY for two names or more). None when the draft gives nothing to look for."""
    body = MARKER.sub("", draft)
    names, held = names_given(body), sentence_figures(body)
    cited = set(markers(draft))
    if not cited or not (names or held):
        return None
    floor = MIN_LIST_SIMILARITY if len(set(names)) >= 2 else MIN_HELD_SIMILARITY
    # The report terms asked about ('imagerie médicale') may be in the sentence's passage or its heading only:
    # the draft's names tie the sentence to the answer. The companies, zones and laws asked about must be in it.
    terms = set(terms_in(ctx.question))
    subjects = replace(ctx, asked_names=tuple(name for name in ctx.asked_names if name not in terms))
    return _closest(ctx, language, read, asked, floor, lambda n, sentence: (
        n in cited and held <= sentence_figures(sentence) and all(mentions_name(name, sentence) for name in names)
        and all(mentions_name(term, ctx.passages[n - 1].chunk.embed_text) for term in terms)
        and _names_all(sentence, subjects)))


def _closest(ctx: Context, language: Language, read: Sequence[str | None], asked: str | None, floor: float,
             fits: Callable[[int, str], bool]) -> Quote | None:
    """The shown passages' sentence closest to `asked` (else the question) that `fits`, in the reader's
    language, if it comes `floor` close."""
    if ctx.evidence is None:
        return None
    candidates = readable(ctx.passages, language, read)
    for scored in ctx.evidence.sentence_scores(asked or ctx.question):
        if scored.score < floor:
            return None
        translated = candidates.get((scored.n, scored.sentence))
        if translated is not None and fits(scored.n, scored.sentence):
            return Quote(scored.n, bare(scored.sentence), translated, scored.score)
    return None


def other_mentions(ctx: Context, cited: Sequence[int], language: Language,
                   read: Sequence[str | None] = (), topic: str | None = None) -> list[Quote]:
    """For a question about one company or body ('In which areas is Ping An Good Doctor mentioned?'), or a
    bare `topic` ('PIPL?', report terms included), the first sentence naming it in each shown passage the
    answer does not cite: what else the report says of it."""
    if topic is None:
        actors = [name for name in names_in(ctx.question) if not terms_in(name)
                  and any(mentions_name(name, p.chunk.text) for p in ctx.passages)]
        if len(actors) != 1:
            return []
        topic = actors[0]
    found: dict[int, Quote] = {}
    for (n, sentence), translated in readable(ctx.passages, language, read).items():
        if n not in cited and n not in found and len(sentence.split()) >= MIN_WORDS \
                and mentions_name(topic, sentence):
            found[n] = Quote(n, bare(sentence), translated, 0.0, topic)
    return [found[n] for n in sorted(found)][:MAX_OTHER_MENTIONS]


def readable(passages: Sequence[Passage], language: Language,
             read: Sequence[str | None]) -> dict[tuple[int, str], bool]:
    """Each shown passage's sentences in the reader's language, in order: its own, or its English
    rendering (True) for an English reader; a passage in the other language with no rendering has none."""
    sentences: dict[tuple[int, str], bool] = {}
    for n, passage in enumerate(passages, 1):
        rendering = read[n - 1] if language == "en" and n <= len(read) else None
        if rendering:
            sentences.update({(n, s): True for s in sentences_of(rendering)})
        elif detect_language(passage.chunk.text, default=language) == language:
            sentences.update({(n, s): False for s in sentences_of(passage.chunk.text)})
    return sentences


def bare(sentence: str) -> str:
    """A sentence to quote, without its list bullet."""
    return sentence.strip().lstrip("-•* ").strip()


def _names_all(sentence: str, ctx: Context) -> bool:
    if len(sentence.split()) < MIN_WORDS:
        return False
    if not all(mentions_name(name, sentence) for name in ctx.asked_names):
        return False
    if ctx.asked_years and not years_in(sentence) & ctx.asked_years:
        return False
    if ctx.asked_classes and not classes_in(sentence) & ctx.asked_classes:
        return False
    if named(sentence, ctx):  # 'Which group backs…?' is answered by a sentence naming one
        return False
    if unit(sentence, ctx):  # a share asked for is not answered by a count
        return False
    return not asks_quantity(ctx.question) or bool(sentence_figures(sentence) - years_in(sentence))
