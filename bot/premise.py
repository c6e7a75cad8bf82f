"""A yes/no question whose premise the report does not make is answered by saying so, with what the report
does say, quoted: 'Was it Yitu that set up in-country data centres?' (the report says it of Philips), 'Are
the drug discovery initiatives part of Healthy China 2030?' (it names both, never together). Only where the
checks declined the model's 'yes' for that very reason, so nothing the model wrote reaches the reader."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.binding import mentions_name
from bot.checks import Context, Verdict, actors_in, attribution, said_elsewhere
from bot.cite import MARKER
from bot.prompts import NOT_JOINED, NOT_SAID_OF, QUOTED, TRANSLATED
from bot.questions import is_yes_no
from bot.quote import MIN_QUOTE_SIMILARITY, MIN_WORDS, Quote, bare, readable
from bot.types import Language, Withdrawn

# The sentence quoted for 'No: the report says it of …' must be closer to the draft's claim (its company's
# name taken out) than any sentence naming the company asked about, by more than this. The checks have
# already found the claim closer to another sentence by more than MISBOUND_NAME_GAP; the sentence naming
# the other company can be a longer one ('Real example: Philips has established…', a table cell).
OTHER_ACTOR_GAP = 0.15


def corrected(verdict: Verdict, withdrawn: Sequence[Withdrawn], ctx: Context, language: Language,
              read: Sequence[str | None] = ()) -> Verdict:
    """The declined verdict of a yes/no question, answered 'not as asked' with the report's words when a
    draft said of the question's company what the passages say of another (`withdrawn`: every draft's
    withdrawn sentences), or joined names that no passage joins; otherwise the verdict unchanged."""
    if not verdict.refusal or ctx.evidence is None or not is_yes_no(ctx.question):
        return verdict
    for sentence in (w.text for w in withdrawn if w.reason == "misbound_name"):
        body = MARKER.sub("", sentence)
        actors = [n for n in actors_in(body) if mentions_name(n, ctx.question)]
        quote = _said_of_another(body, actors[0], ctx, language, read) if len(actors) == 1 else None
        if quote:
            lead = NOT_SAID_OF[language].format(name=actors[0])
            return _answer(verdict, lead, [quote], language)
    if verdict.refusal == "false_premise":
        quotes = _apart(ctx, language, read)
        if quotes:
            return _answer(verdict, NOT_JOINED[language], quotes, language)
    return verdict


def _said_of_another(body: str, actor: str, ctx: Context, language: Language,
                     read: Sequence[str | None]) -> Quote | None:
    """What the passages say `body` of, in the reader's language: their sentence closest to it (with the
    actor's name taken out) among those naming another company, zone or body, when it is closer by more
    than OTHER_ACTOR_GAP than any naming `actor`."""
    scored, naming = attribution(body, actor, ctx.evidence)
    if not said_elsewhere(scored, naming):
        return None  # the checks' own test: the claim is the passages' about someone else
    candidates = readable(ctx.passages, language, read)
    for s in scored:
        if s.score - naming <= OTHER_ACTOR_GAP:
            return None
        others = [a for a in actors_in(s.sentence) if not mentions_name(a, actor)]
        if others and (s.n, s.sentence) in candidates and len(s.sentence.split()) >= MIN_WORDS \
                and not mentions_name(actor, s.sentence):
            return Quote(s.n, bare(s.sentence), candidates[(s.n, s.sentence)], s.score)
    return None


def _apart(ctx: Context, language: Language, read: Sequence[str | None]) -> list[Quote]:
    """For a question joining names the passages name only apart (each of them somewhere, never all in one
    passage), the sentence closest to the question naming each: what the report says of each."""
    names = ctx.asked_names
    texts = [p.chunk.text + "\n" + (read[i] if i < len(read) and read[i] else "") for i, p in enumerate(ctx.passages)]
    if len(names) < 2 or any(all(mentions_name(name, t) for name in names) for t in texts) \
            or not all(any(mentions_name(name, t) for t in texts) for name in names):
        return []
    candidates = readable(ctx.passages, language, read)
    scored = [s for s in ctx.evidence.sentence_scores(ctx.question)
              if (s.n, s.sentence) in candidates and len(s.sentence.split()) >= MIN_WORDS]
    quotes: dict[str, Quote] = {}
    for name in names:
        best = next((s for s in scored if mentions_name(name, s.sentence)), None)
        if best and best.score >= MIN_QUOTE_SIMILARITY and bare(best.sentence) not in quotes:
            quotes[bare(best.sentence)] = Quote(best.n, bare(best.sentence), candidates[(best.n, best.sentence)],
                                                best.score, name)
    return list(quotes.values())


def _answer(verdict: Verdict, lead: str, quotes: list[Quote], language: Language) -> Verdict:
    lines = [QUOTED[language].format(sentence=q.sentence, n=q.n, translated=TRANSLATED[q.translated][language])
             for q in quotes]
    return replace(verdict, text="\n".join([lead, *lines]), cited=tuple(dict.fromkeys(q.n for q in quotes)),
                   refusal="", unsupported_figures=(), repair=())

