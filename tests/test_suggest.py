"""Suggested questions from the gold set: which may be offered, the three that start, the ones that follow."""
import json
from dataclasses import replace
from functools import lru_cache

from bot.config import ROOT
from bot.guide import Guide
from bot.metrics import holds, load_gold
from bot.prompts import UI
from bot.suggest import Layout, correct_ids, follow_ups, load_pool, pool, starters
from bot.types import Answer, Citation, Passage, Timings

from test_overview import report_chunks

GOLD = ROOT / "eval" / "gold.jsonl"


@lru_cache(maxsize=1)
def gold():
    return tuple(load_gold(GOLD))


def all_correct() -> set[str]:
    """Every item answered correctly: the tests below do not depend on how the last evaluation went."""
    return {g.id for g in gold()}


def layout() -> Layout:
    return Layout.of(report_chunks())


def answer(question: str, language: str, *chunk_ids: str, abstained: bool = False) -> Answer:
    chunks = {c.id: c for c in report_chunks()}
    cited = () if abstained else tuple(Citation(n, chunks[i]) for n, i in enumerate(chunk_ids, 1))
    passages = tuple(Passage(chunks[i], n, 0.5, 0.5) for n, i in enumerate(chunk_ids, 1))
    return Answer(question, language, "…", abstained, cited, passages, Timings(), "m")


def test_only_answerable_standalone_questions_the_evaluation_got_right_are_offered():
    items = {g.id: g for g in gold()}
    wrong = {"fr-fact-01", "en-list-04"}
    offered = pool(gold(), all_correct() - wrong, report_chunks())
    ids = {s.id for s in offered}
    assert len(offered) > 30 and not ids & wrong
    for s in offered:
        item = items[s.id]
        assert item.answerable and not item.history and "adversarial" not in item.tags
        assert item.kind in ("list", "table", "multi", "fact") and len(s.question) <= 110
        texts = [c.text for c in report_chunks() if c.id in s.chunks]
        assert all(any(holds(t, e) for t in texts) for e in item.evidence)  # every evidence string is in its passages
    assert {"fr-para-01", "fr-fu-01", "fr-none-01", "fr-adv-10"}.isdisjoint(ids)
    assert {"fr-fact-02", "en-list-04"} - wrong <= ids


def test_a_question_whose_evidence_is_only_in_a_passage_addressed_to_an_assistant_is_not_offered():
    item = next(g for g in gold() if g.id == "fr-fact-03")
    chunks = [replace(c, flagged="instruction") if any(holds(c.text, e) for e in item.evidence) else c
              for c in report_chunks()]
    assert "fr-fact-03" in {s.id for s in pool(gold(), all_correct(), report_chunks())}
    assert "fr-fact-03" not in {s.id for s in pool(gold(), all_correct(), chunks)}


def test_three_starting_questions_per_language_spread_over_the_report():
    offered = pool(gold(), all_correct(), report_chunks())
    where = layout()
    for language in ("fr", "en"):
        picked = starters(offered, where, language)
        assert len(picked) == 3 and all(s.language == language for s in picked)
        ranks = [where.rank[where.section[s.chunks[0]]] for s in picked]
        assert ranks == sorted(set(ranks))  # three sections, in reading order
        mine = [s for s in offered if s.language == language]
        covered = sorted({where.rank[where.section[s.chunks[0]]] for s in mine})
        assert ranks[0] == covered[0] and ranks[-1] == covered[-1]  # the first and the last section that have one
        assert picked == starters(offered, where, language)  # the same every time
        for s in picked:  # its section's best: a list, table or multi-fact question before a fact, then the shorter
            rivals = [o for o in mine if where.section[o.chunks[0]] == where.section[s.chunks[0]]]
            assert (s.kind == "fact", len(s.question)) == min((o.kind == "fact", len(o.question)) for o in rivals)
    french = [s.id for s in starters(offered, where, "fr")]
    assert french[0] == "fr-fact-01"  # the introduction has only facts: the shorter of its two


def test_the_starting_questions_are_ones_the_last_evaluation_answered_correctly():
    right = correct_ids(ROOT / "eval" / "results.json")
    guide = Guide.load(report_chunks(), GOLD, ROOT / "eval" / "results.json")
    items = {g.question: g for g in gold()}
    for language in ("fr", "en"):
        offer = guide.offer([], language)
        assert offer.title == UI["suggested"][language] and len(offer.questions) == 3
        assert all(items[q].id in right and items[q].lang == language for q in offer.questions)


def test_follow_ups_rest_on_the_cited_passage_or_its_section_never_the_question_asked():
    where = layout()
    offered = pool(gold(), all_correct(), report_chunks())
    table = next(s for s in offered if s.id == "fr-table-02")  # the talent row of the barriers table
    asked = answer(table.question, "fr", table.chunks[0])
    picked = follow_ups(offered, where, asked, [])
    assert 2 <= len(picked) <= 3 and table not in picked
    assert all(s.language == "fr" for s in picked)
    section = where.section[table.chunks[0]]
    assert all(any(where.section[i] == section for i in s.chunks) for s in picked)
    assert any(table.chunks[0] in s.chunks for s in picked)  # a question on the very passage cited comes first
    assert picked[0].chunks[0] == table.chunks[0] or table.chunks[0] in picked[0].chunks
    evidence = [e for s in picked for e in s.evidence]
    assert len(evidence) == len(set(evidence))  # no two offered on the same evidence
    again = follow_ups(offered, where, asked, [s.question for s in picked])
    assert not {s.id for s in again} & {s.id for s in picked}  # nothing asked already in the conversation
    english = follow_ups(offered, where, replace(asked, language="en", question="Talent?"), [])
    assert english and all(s.language == "en" for s in english)


def test_a_lone_section_borrows_from_the_nearest_ones_to_offer_two():
    where = layout()
    offered = pool(gold(), all_correct(), report_chunks())
    drug = next(s for s in offered if s.id == "fr-fact-12")  # drug discovery: the only French question there
    assert [s.id for s in offered if s.language == "fr" and where.section[s.chunks[0]] == where.section[drug.chunks[0]]
            ] == ["fr-fact-12"]
    picked = follow_ups(offered, where, answer(drug.question, "fr", drug.chunks[0]), [])
    assert len(picked) == 2 and drug not in picked
    here = where.rank[where.section[drug.chunks[0]]]
    assert all(abs(where.rank[where.section[s.chunks[0]]] - here) == 1 for s in picked)  # the sections either side


def test_a_refusal_is_followed_by_questions_on_the_passages_that_came_nearest():
    where = layout()
    offered = pool(gold(), all_correct(), report_chunks())
    imaging = next(s for s in offered if s.id == "fr-list-01")
    refused = answer("Quel est le marché au Brésil ?", "fr", imaging.chunks[0], abstained=True)
    picked = follow_ups(offered, where, refused, [])
    assert picked and any(imaging.chunks[0] in s.chunks for s in picked)
    assert follow_ups(offered, where, answer("?", "fr", abstained=True), []) == []  # nothing found: nothing offered


def test_the_guide_shows_the_overview_first_then_follow_ups_in_the_answer_language():
    guide = Guide.of(report_chunks(), pool(gold(), all_correct(), report_chunks()))
    first = guide.offer([], "en")
    assert first.overview.startswith(UI["overview"]["en"].format(n=16)) and len(first.questions) == 3
    offered = next(s for s in guide.suggestions if s.id == "fr-table-02")
    after = guide.offer([answer(offered.question, "fr", offered.chunks[0])], "en")
    assert after.overview == "" and after.title == UI["follow_ups"]["fr"] and 2 <= len(after.questions) <= 3
    assert offered.question not in after.questions


def test_without_evaluation_results_nothing_is_suggested_and_the_overview_stays(tmp_path):
    assert load_pool(GOLD, tmp_path / "missing.json", report_chunks()) == ()
    broken = tmp_path / "results.json"
    broken.write_text('{"items": [', encoding="utf-8")
    assert load_pool(GOLD, broken, report_chunks()) == ()
    guide = Guide.load(report_chunks(), GOLD, broken)
    first = guide.offer([], "fr")
    assert first.overview and first.questions == () and first.title == ""
    broken.write_text(json.dumps({"items": [{"id": "fr-fact-02", "correct": True},
                                            {"id": "fr-fact-01", "correct": False}, {"id": "x"}]}), encoding="utf-8")
    assert correct_ids(broken) == {"fr-fact-02"}
    assert [s.id for s in load_pool(GOLD, broken, report_chunks())] == ["fr-fact-02"]
