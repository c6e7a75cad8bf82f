"""The benchmark's parts with stand-ins: its figures and ratios, its question subset, the naive
configuration, the generation timer, the bandwidth measure and the UI's start."""
import json
import sys
import time

import pytest

from bot.bandwidth import bound_tokens_per_s, copy_bandwidth_gbs
from bot.bench import (QUESTION_IDS, ROWS, Asked, Compared, Setup, bench_items, correct, decode_rate,
                       prompt_rate, summarize, table)
from bot.cli import build_parser, main
from bot.config import ROOT
from bot.errors import BotError
from bot.generate import Generation
from bot.ingest import load_corpus
from bot.metrics import load_gold
from bot.naive import CHUNK_CHARS, OVERLAP, TOP_K, NaiveRag, naive_chunks, windows
from bot.pipeline import Pipeline
from bot.prompts import NAIVE_SYSTEM, NOT_COVERED, NOT_FOUND
from bot.ready import time_to_first_page
from bot.retrieve import Retriever
from bot.index import build_index
from bot.timed import TimedGenerator

from fakes import HashEmbedder, ScriptedGenerator

GOLD = ROOT / "eval" / "gold.jsonl"
QUESTION_2023 = "Quelle était la valeur du marché chinois de l'IA en santé en 2023 ?"
# What the issue asks `python -m bot bench --json` to print, at least.
REQUIRED = {"index_build_s", "query_embed_ms_p50", "retrieve_ms_p50", "prompt_tokens_p50", "prompt_tokens_per_s",
            "decode_tokens_per_s", "first_token_s_p50", "answer_s_p50", "answer_s_p95", "peak_rss_mb", "ui_ready_s",
            "decode_ratio_vs_raw", "answer_ratio_vs_naive", "accuracy", "naive_accuracy",
            "decode_ratio_vs_bandwidth"}


class CountingScript(ScriptedGenerator):
    """A scripted generator that counts a token per word, and the system prompt as kept in the cache."""

    def prompt_size(self, messages):
        words = [len(m["content"].split()) for m in messages]
        return sum(words), sum(words[1:])

    def count_tokens(self, text):
        return len(text.split())


def generation(tokens, decode_s, read=600, first_s=2.0, prompt=800):
    return Generation("x " * tokens, prompt, read, first_s, tokens, decode_s)


def asked(id_, seconds, right, first=1.0, prompt=800):
    return Asked(id_, seconds, first, prompt, right)


def measured(product_s=(8.0, 12.0), naive_s=(4.0, 6.0)):
    """A run's parts with round figures: the product decodes at 10 tokens/s, llama.cpp alone at 20."""
    setup = Setup(7.0, 3.0, 4.0, 56, 100, 200.0, 11.0, 3500.0, (20.0, 30.0, 40.0), (50.0, 60.0, 70.0))
    product = [asked(f"q{i}", s, i == 0) for i, s in enumerate(product_s)]
    generations = [generation(41, 4.0), generation(21, 2.0)]
    raw = ((generations[0], generation(41, 2.0)),)
    naive = tuple(asked(f"q{i}", s, False) for i, s in enumerate(naive_s))
    compared = Compared(raw, naive, 30, copy_bandwidth_gb_s=20.0, model_bytes=10**9)
    return summarize("model", 2, 0.5, setup, product, generations, 3600.0, compared)


def test_the_json_has_every_figure_the_issue_asks_for():
    result = measured()
    data = json.loads(json.dumps(result.to_json()))
    assert REQUIRED <= data.keys()
    assert data["question_ids"] == ["q0", "q1"]
    assert all(data[key] is not None for key in REQUIRED)


def test_the_ratios_come_from_the_timings():
    result = measured()
    assert result.decode_tokens_per_s == 10.0  # (40 + 20) tokens after the first, in 6 s
    assert result.raw_decode_tokens_per_s == 20.0
    assert result.decode_ratio_vs_raw == 0.5  # the same prompt: 10 tokens/s in the product, 20 alone
    assert result.answer_s_mean == 10.0 and result.naive_answer_s_mean == 5.0
    assert result.answer_ratio_vs_naive == 2.0
    assert result.bandwidth_bound_tokens_per_s == 20.0  # 20 GB/s over a 1 GB model file
    assert result.decode_ratio_vs_bandwidth == 0.5
    assert result.prompt_tokens_per_s == 300.0  # 1200 tokens computed in 4 s to the first tokens
    assert (result.accuracy, result.naive_accuracy) == (0.5, 0.0)
    assert (result.query_embed_ms_p50, result.retrieve_ms_p50, result.peak_rss_mb) == (30.0, 60.0, 3600)


def test_percentiles_are_over_the_answers():
    result = measured(product_s=tuple(float(s) for s in range(1, 21)))
    assert result.answer_s_p50 == 10.5
    assert result.answer_s_p95 == pytest.approx(19.05)
    assert result.answer_s_p50 <= result.answer_s_p95


def test_decode_rates_pool_tokens_and_ignore_what_decoded_nothing():
    assert decode_rate([generation(11, 1.0), generation(101, 4.0)]) == pytest.approx(110 / 5)
    assert decode_rate([generation(1, 0.0), generation(0, 0.0)]) is None
    assert prompt_rate([generation(5, 1.0, read=100, first_s=0.5), generation(0, 0.0, read=900, first_s=9.0)]) == 200


def test_a_missing_reference_gives_no_ratio_rather_than_a_wrong_one():
    setup = Setup(1.0, 1.0, 1.0, 1, 1, 1.0, 1.0, 1.0, (1.0,), (1.0,))
    result = summarize("m", 1, 0.0, setup, [asked("q", 1.0, True)], [generation(1, 0.0)], 1.0,
                       Compared((), (asked("q", 1.0, True),), 1, 10.0, 10**9))
    assert result.decode_tokens_per_s is None and result.decode_ratio_vs_raw is None
    assert result.decode_ratio_vs_bandwidth is None
    assert "decoding: product / llama.cpp alone" in table(result)


def test_the_table_shows_each_figure_once_with_its_value():
    result = measured()
    head, *lines = table(result).splitlines()
    assert head.startswith("Benchmark: model, 2 threads, 2 gold questions")
    assert len(lines) == len(ROWS) == 27
    for line, (key, label, unit) in zip(lines, ROWS):
        assert line.startswith(label) and line.split()[-2 if unit else -1] == str(getattr(result, key))


def test_the_question_subset_is_fixed_answerable_and_spread():
    gold = {item.id: item for item in load_gold(GOLD)}
    assert len(QUESTION_IDS) >= 20 and len(set(QUESTION_IDS)) == len(QUESTION_IDS)
    items = [gold[i] for i in QUESTION_IDS]
    assert all(item.answerable and not item.history and item.facts for item in items)
    assert {(item.kind, item.lang) for item in items} == {(kind, lang) for kind in
                                                         ("fact", "list", "multi", "table", "paraphrase")
                                                         for lang in ("fr", "en")}
    assert [item.id for item in bench_items(GOLD)] == list(QUESTION_IDS)
    assert [item.lang for item in bench_items(GOLD, 2)] == ["fr", "en"]


def test_a_gold_file_without_the_subset_is_refused(tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(GOLD.read_text(encoding="utf-8").split("\n", 1)[1], encoding="utf-8")  # without fr-fact-01
    with pytest.raises(BotError, match="fr-fact-01"):
        bench_items(gold)


def test_correct_means_the_facts_and_no_refusal():
    item = next(i for i in load_gold(GOLD) if i.id == "fr-fact-01")
    assert correct(item, "Le marché valait 1,59 milliard de dollars US en 2023 [1].", False)
    assert not correct(item, "Le marché valait 1,59 milliard de dollars US en 2023 [1].", True)
    assert not correct(item, "Le marché valait 18,88 milliards [1].", False)


def test_naive_windows_are_1000_characters_overlapping_by_100():
    text = "\n".join(b.text for b in load_corpus(ROOT / "corpus")[0].blocks)
    pieces = windows(text)
    assert (CHUNK_CHARS, OVERLAP) == (1000, 100) and len(pieces) > 10
    assert all(len(p) == 1000 for _, p in pieces[:-1]) and 0 < len(pieces[-1][1]) <= 1000
    assert [s for s, _ in pieces] == list(range(0, 900 * len(pieces), 900))
    assert all(a[-100:] == b[:100] for (_, a), (_, b) in zip(pieces, pieces[1:]))
    assert pieces[-1][0] + len(pieces[-1][1]) == len(text)  # to the very end
    assert windows("") == [] and windows("short") == [(0, "short")] and len(windows("x" * 1000)) == 1


def test_naive_chunks_cover_the_report_without_its_structure():
    docs = load_corpus(ROOT / "corpus")
    chunks = naive_chunks(docs)
    assert all(len(c.text) <= 1000 and c.section == "" for c in chunks)
    assert len({c.id for c in chunks}) == len(chunks)
    assert sum(len(windows("\n".join(b.text for b in d.blocks))) for d in docs) == len(chunks)


def test_the_naive_configuration_answers_from_its_top_5_with_one_plain_prompt():
    chunks = naive_chunks(load_corpus(ROOT / "corpus"))
    seen = []

    def generate(messages, max_tokens):
        seen.append((messages, max_tokens))
        text = NOT_FOUND if "Inde" in messages[-1]["content"] else "Il valait 1,59 milliard [1]."
        return Generation(text, 900, 900, 1.0, 8, 0.5)

    naive = NaiveRag(chunks, HashEmbedder(), generate, 220)
    got = naive.answer(QUESTION_2023)
    messages, max_tokens = seen[0]
    assert [m["role"] for m in messages] == ["system", "user"] and messages[0]["content"] == NAIVE_SYSTEM
    top = naive.passages(QUESTION_2023)
    body = "\n\n".join(f"[{n}] {c.text}" for n, c in enumerate(top, 1))
    assert max_tokens == 220 and len(top) == TOP_K and messages[1]["content"].startswith(f"Passages:\n{body}\n\n")
    embedder = HashEmbedder()  # dense: the five windows nearest the question, nearest first
    cosines = embedder.embed_documents([c.text for c in chunks]) @ embedder.embed_queries([QUESTION_2023])[0]
    assert [c.id for c in top] == [chunks[i].id for i in (-cosines).argsort(kind="stable")[:TOP_K]]
    assert not got.abstained and got.total_s >= got.retrieve_s > 0
    assert naive.answer("Quelle est la taille du marché en Inde ?").abstained


def test_the_timer_counts_the_consumers_time_between_pieces():
    timed = TimedGenerator(CountingScript("un deux trois quatre cinq"))
    messages = [{"role": "system", "content": "sys tem"}, {"role": "user", "content": "a b c"}]
    for _ in timed.stream(messages, 10):
        time.sleep(0.02)  # the pipeline's own work on each piece
    g = timed.generations[0]
    assert (g.text, g.tokens, g.decoded, g.prompt_tokens, g.read_tokens) == ("un deux trois quatre cinq", 5, 4, 5, 3)
    assert g.decode_s >= 0.08 and g.first_token_s < 0.02
    assert timed.prompts == [messages]


def test_a_generation_the_pipeline_stops_reading_is_still_counted(settings):
    embedder = HashEmbedder()
    timed = TimedGenerator(CountingScript(f"{NOT_FOUND} et la suite"))
    pipeline = Pipeline(settings, embedder, Retriever(build_index(settings, embedder), embedder), timed)
    answer = pipeline.answer("Quelle est la valeur du marché de l'IA en santé en Chine en 2030 ?")
    assert answer.abstained and answer.text == NOT_COVERED["fr"]
    # each generation read no further than the marker; the second read the passages the first left out
    assert [g.text for g in timed.generations] == [NOT_FOUND, NOT_FOUND]
    assert timed.generations[1].prompt_tokens > timed.generations[0].prompt_tokens
    assert timed.prompts[0][-1]["content"].startswith("Passages:")


def test_copy_bandwidth_is_measured_and_bounds_the_decode_rate():
    gbs = copy_bandwidth_gbs(mb=16, threads=2, runs=2)
    assert 0.1 < gbs < 10_000
    assert bound_tokens_per_s(30.0, 1_500_000_000) == pytest.approx(20.0)


def test_the_ui_is_timed_to_its_first_page_and_stopped(tmp_path):
    (tmp_path / "index.html").write_text("ok")
    command = lambda port: [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",  # noqa: E731
                            "--directory", str(tmp_path)]
    ready = time_to_first_page({}, command, timeout_s=30)
    assert 0 < ready.seconds < 30 and ready.peak_rss_mb > 0


def test_a_server_that_dies_is_reported_with_its_output():
    command = lambda port: [sys.executable, "-c", "import sys; print('no model here'); sys.exit(3)"]  # noqa: E731
    with pytest.raises(BotError, match="(?s)exit 3.*no model here"):
        time_to_first_page({}, command, timeout_s=30)


def test_the_command_line_takes_json_and_a_question_count():
    args = build_parser().parse_args(["bench", "--json", "--questions", "2"])
    assert (args.json, args.questions, args.scale) == (True, 2, False)
    assert main(["bench", "--questions", "-1"]) == 2  # refused before any model loads
