"""One benchmark run: the product's speed, memory and accuracy on a fixed set of gold questions, beside
llama.cpp alone, a naive configuration of the same models, and the machine's memory bandwidth."""
from __future__ import annotations

import os
import resource
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from bot.bandwidth import bound_tokens_per_s
from bot.config import Settings
from bot.errors import BotError
from bot.generate import Generation
from bot.metrics import GoldItem, facts_present, load_gold

# The documented subset: the first two items of each answerable single-turn kind (fact, list, multi,
# table, paraphrase) in each language, in eval/gold.jsonl's order, adversarial items aside. Interleaved,
# so that the first N (`--questions N`) span both languages and several kinds. Single-turn: the naive
# configuration has no conversation, and both must answer the very same questions.
QUESTION_IDS = (
    "fr-fact-01", "en-fact-01", "fr-list-01", "en-list-01", "fr-multi-01", "en-multi-01",
    "fr-table-01", "en-table-01", "fr-para-01", "en-para-01",
    "fr-fact-02", "en-fact-02", "fr-list-02", "en-list-02", "fr-multi-02", "en-multi-02",
    "fr-table-02", "en-table-02", "fr-para-02", "en-para-02",
)
RAW_PROMPTS = 3  # product prompts generated again by llama.cpp alone
MIN_DECODED = 16  # a shorter generation (a refusal marker) says little about a decode rate


def bench_items(gold: Path, limit: int = 0) -> list[GoldItem]:
    by_id = {item.id: item for item in load_gold(gold)}
    missing = [i for i in QUESTION_IDS if i not in by_id]
    if missing:
        raise BotError(f"The benchmark's questions {', '.join(missing)} are not in {gold}.")
    return [by_id[i] for i in QUESTION_IDS[:limit or None]]


def correct(item: GoldItem, text: str, abstained: bool) -> bool:
    """Answered with the item's facts; a refusal is wrong (every benchmark question is answerable)."""
    return not abstained and facts_present(text, item.facts)


@dataclass(frozen=True)
class Asked:
    """One gold question answered by one configuration."""

    id: str
    answer_s: float
    first_token_s: float | None  # None: declined before generating
    prompt_tokens: int | None
    correct: bool


@dataclass(frozen=True)
class Setup:
    """What comes before the first question: loads, the index build, the UI's start."""

    embedder_load_s: float
    generator_load_s: float
    index_build_s: float
    chunks: int
    prefixes: int  # saved prompt starts: every passage as the first one, in each language
    prefix_build_s: float
    ui_ready_s: float
    serve_peak_rss_mb: float
    query_embed_ms: tuple[float, ...]
    retrieve_ms: tuple[float, ...]


@dataclass(frozen=True)
class Compared:
    """The product against references, on the same questions or prompts."""

    raw: tuple[tuple[Generation, Generation], ...]  # (the product's, llama.cpp alone's) for the same messages
    naive: tuple[Asked, ...]
    naive_chunks: int
    copy_bandwidth_gb_s: float
    model_bytes: int  # the GGUF file: what decoding one token reads


@dataclass(frozen=True)
class BenchResult:
    generator: str
    threads: int
    load_average: float  # over the minute before the run: other work on the same cores slows every figure
    question_ids: tuple[str, ...]
    embedder_load_s: float
    generator_load_s: float
    index_build_s: float
    chunks: int
    prefixes: int
    prefix_build_s: float
    query_embed_ms_p50: float
    retrieve_ms_p50: float
    prompt_tokens_p50: float | None
    prompt_tokens_per_s: float | None
    decode_tokens_per_s: float | None
    first_token_s_p50: float | None
    answer_s_p50: float
    answer_s_p95: float
    answer_s_mean: float
    accuracy: float
    peak_rss_mb: float
    ui_ready_s: float
    serve_peak_rss_mb: float
    raw_decode_tokens_per_s: float | None
    decode_ratio_vs_raw: float | None
    naive_chunks: int
    naive_answer_s_mean: float
    naive_accuracy: float
    answer_ratio_vs_naive: float | None
    copy_bandwidth_gb_s: float
    bandwidth_bound_tokens_per_s: float
    decode_ratio_vs_bandwidth: float | None

    def to_json(self) -> dict:
        return asdict(self)


def decode_rate(generations: Sequence[Generation]) -> float | None:
    """Tokens per second after the first, pooled: a long answer weighs more than a short one."""
    seconds = sum(g.decode_s for g in generations if g.decoded)
    return sum(g.decoded for g in generations) / seconds if seconds > 0 else None


def prompt_rate(generations: Sequence[Generation]) -> float | None:
    """Prompt tokens computed per second of waiting for the first token, pooled."""
    made = [g for g in generations if g.tokens]
    seconds = sum(g.first_token_s for g in made)
    return sum(g.read_tokens for g in made) / seconds if seconds > 0 else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _median(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def _share(asked: Sequence[Asked]) -> float:
    return round(sum(a.correct for a in asked) / len(asked), 3) if asked else 0.0


def _mean(asked: Sequence[Asked]) -> float:
    return statistics.fmean(a.answer_s for a in asked) if asked else 0.0


def summarize(generator: str, threads: int, load_average: float, setup: Setup, product: Sequence[Asked],
              generations: Sequence[Generation], peak_rss_mb: float, compared: Compared) -> BenchResult:
    """Every figure from what was measured: a pure function."""
    answer_s = [a.answer_s for a in product]
    decode = decode_rate(generations)
    bound = bound_tokens_per_s(compared.copy_bandwidth_gb_s, compared.model_bytes)
    raw = decode_rate([alone for _, alone in compared.raw])
    return BenchResult(
        generator=generator, threads=threads, load_average=round(load_average, 2),
        question_ids=tuple(a.id for a in product),
        embedder_load_s=round(setup.embedder_load_s, 2), generator_load_s=round(setup.generator_load_s, 2),
        index_build_s=round(setup.index_build_s, 2), chunks=setup.chunks,
        prefixes=setup.prefixes, prefix_build_s=round(setup.prefix_build_s, 1),
        query_embed_ms_p50=round(statistics.median(setup.query_embed_ms), 1),
        retrieve_ms_p50=round(statistics.median(setup.retrieve_ms), 1),
        prompt_tokens_p50=_median([a.prompt_tokens for a in product]),
        prompt_tokens_per_s=_round(prompt_rate(generations)),
        decode_tokens_per_s=_round(decode, 2),
        first_token_s_p50=_round(_median([a.first_token_s for a in product]), 2),
        answer_s_p50=round(statistics.median(answer_s), 2),
        answer_s_p95=round(float(np.percentile(answer_s, 95)), 2),
        answer_s_mean=round(_mean(product), 2), accuracy=_share(product),
        peak_rss_mb=round(peak_rss_mb), ui_ready_s=round(setup.ui_ready_s, 1),
        serve_peak_rss_mb=round(setup.serve_peak_rss_mb),
        raw_decode_tokens_per_s=_round(raw, 2),
        # The same messages on both sides: the product's first generation for those questions.
        decode_ratio_vs_raw=_ratio(decode_rate([mine for mine, _ in compared.raw]), raw),
        naive_chunks=compared.naive_chunks, naive_answer_s_mean=round(_mean(compared.naive), 2),
        naive_accuracy=_share(compared.naive),
        answer_ratio_vs_naive=_ratio(_mean(product), _mean(compared.naive)),
        copy_bandwidth_gb_s=round(compared.copy_bandwidth_gb_s, 2),
        bandwidth_bound_tokens_per_s=round(bound, 2), decode_ratio_vs_bandwidth=_ratio(decode, bound),
    )


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux counts it in KiB


def run_bench(settings: Settings, items: Sequence[GoldItem], report: Callable[[str], None] = print) -> BenchResult:
    """Load the real models and measure everything in one run. `settings.index_dir` is rebuilt: give it
    a scratch folder. The serving process reads the same index, and settings from the environment."""
    from bot.bandwidth import copy_bandwidth_gbs
    from bot.evaluate import answer_item
    from bot.index import build_index
    from bot.ingest import load_corpus
    from bot.models import GENERATORS
    from bot.naive import NaiveRag, naive_chunks
    from bot.prefixes import PrefixStore, every_lead
    from bot.ready import time_to_first_page
    from bot.runtime import load_embedder, load_generator, load_pipeline
    from bot.timed import TimedGenerator

    load_average = os.getloadavg()[0]
    embedder, embedder_load_s = _timed(lambda: load_embedder(settings))
    index, index_build_s = _timed(lambda: build_index(settings, embedder))
    report(f"index built: {len(index.chunks)} chunks in {index_build_s:.1f} s; starting the UI…")
    # Before this process loads the generator: the server's start is then timed alone on the cores.
    ready = time_to_first_page(dict(os.environ, BOT_INDEX_DIR=str(settings.index_dir)))
    report(f"UI answered after {ready.seconds:.1f} s")
    generator, generator_load_s = _timed(lambda: load_generator(settings))
    timed = TimedGenerator(generator)
    pipeline = load_pipeline(settings, embedder, timed)
    # Saved anew in the scratch folder, as the index is: their whole cost is measured (none with BOT_SAVED_PREFIXES=0).
    limit = settings.saved_prefixes
    generator.prefixes = PrefixStore(settings.index_dir / "prefixes", limit) if limit else None
    leads = every_lead(index.chunks, pipeline.renderings)[:limit]
    report(f"saving the prompt starts of {len(leads)} passages and languages…")
    _, prefix_build_s = _timed(lambda: generator.save_prefixes(leads))

    pipeline.search("warm-up", (), settings.top_k)
    embed_ms = [_timed(lambda q=i.question: embedder.embed_queries([q]))[1] * 1000 for i in items]
    retrieve_ms = [_timed(lambda q=i.question: pipeline.search(q, (), settings.top_k))[1] * 1000 for i in items]
    setup = Setup(embedder_load_s, generator_load_s, index_build_s, len(index.chunks), len(leads), prefix_build_s,
                  ready.seconds, ready.peak_rss_mb, tuple(embed_ms), tuple(retrieve_ms))

    product, firsts = [], []  # firsts: the index of each question's first generation, if it had one
    for n, item in enumerate(items, 1):
        before = len(timed.generations)
        answer = answer_item(pipeline, item)
        first = before if len(timed.generations) > before else None
        firsts.append(first)
        product.append(Asked(item.id, answer.timings.total_ms / 1000,
                             answer.timings.first_token_ms / 1000 if answer.timings.first_token_ms else None,
                             timed.generations[first].prompt_tokens if first is not None else None,
                             correct(item, answer.text, answer.abstained)))
        report(f"product [{n}/{len(items)}] {'ok ' if product[-1].correct else 'BAD'} {item.id} "
               f"{product[-1].answer_s:.1f}s {answer.text[:70]!r}")
    peak_rss_mb = _peak_rss_mb()  # the product's: models, index build and answers, before the references

    chosen = [i for i in firsts if i is not None and timed.generations[i].decoded >= MIN_DECODED][:RAW_PROMPTS]
    raw = []
    for i in chosen:
        alone = generator.generate_alone(timed.prompts[i], settings.max_answer_tokens)
        raw.append((timed.generations[i], alone))
        report(f"llama.cpp alone: {alone.decoded} tokens at {decode_rate([alone]) or 0:.1f}/s "
               f"(product {decode_rate([timed.generations[i]]) or 0:.1f}/s)")

    naive = NaiveRag(naive_chunks(load_corpus(settings.corpus_dir)), embedder, generator.generate_alone,
                     settings.max_answer_tokens)
    naive_asked = []
    for n, item in enumerate(items, 1):
        got = naive.answer(item.question)
        naive_asked.append(Asked(item.id, got.total_s, got.retrieve_s + got.generation.first_token_s,
                                 got.generation.prompt_tokens, correct(item, got.text, got.abstained)))
        report(f"naive [{n}/{len(items)}] {'ok ' if naive_asked[-1].correct else 'BAD'} {item.id} "
               f"{got.total_s:.1f}s {got.text[:70]!r}")

    bandwidth = copy_bandwidth_gbs(threads=settings.threads)
    compared = Compared(tuple(raw), tuple(naive_asked), len(naive.chunks), bandwidth,
                        GENERATORS[settings.generator].size)
    return summarize(generator.name, settings.threads, load_average, setup, product, timed.generations,
                     peak_rss_mb, compared)


# (field, label, unit or note); the table prints them in this order.
ROWS = (
    ("embedder_load_s", "embedder load", "s"), ("generator_load_s", "generator load", "s"),
    ("index_build_s", "index build (embedding included)", "s"), ("chunks", "chunks", ""),
    ("prefixes", "saved prompt starts (passage, language)", ""), ("prefix_build_s", "prompt starts saved in", "s"),
    ("ui_ready_s", "UI ready (serve start to first page)", "s"),
    ("query_embed_ms_p50", "query embedding, median", "ms"), ("retrieve_ms_p50", "retrieval, median", "ms"),
    ("prompt_tokens_p50", "prompt, median", "tokens"), ("prompt_tokens_per_s", "prompt read", "tokens/s"),
    ("decode_tokens_per_s", "decoding", "tokens/s"), ("first_token_s_p50", "first token, median", "s"),
    ("answer_s_p50", "whole answer, median", "s"), ("answer_s_p95", "whole answer, p95", "s"),
    ("answer_s_mean", "whole answer, mean", "s"), ("accuracy", "accuracy (facts present)", ""),
    ("peak_rss_mb", "peak RSS (this process)", "MB"), ("serve_peak_rss_mb", "peak RSS (serve, to first page)", "MB"),
    ("raw_decode_tokens_per_s", "llama.cpp alone, decoding", "tokens/s"),
    ("decode_ratio_vs_raw", "decoding: product / llama.cpp alone", ""),
    ("naive_answer_s_mean", "naive configuration, answer mean", "s"),
    ("naive_accuracy", "naive configuration, accuracy", ""),
    ("answer_ratio_vs_naive", "time per answer: product / naive", ""),
    ("copy_bandwidth_gb_s", "memory copy bandwidth", "GB/s"),
    ("bandwidth_bound_tokens_per_s", "decode bound (bandwidth / model file)", "tokens/s"),
    ("decode_ratio_vs_bandwidth", "decoding: product / bound", ""),
)


def table(result: BenchResult) -> str:
    values = result.to_json()
    lines = [f"{label:40} {'-' if values[key] is None else values[key]:>10} {unit}".rstrip()
             for key, label, unit in ROWS]
    head = (f"Benchmark: {result.generator}, {result.threads} threads, {len(result.question_ids)} gold questions, "
            f"load average {result.load_average:.2f} at the start")
    return "\n".join([head, *lines])
