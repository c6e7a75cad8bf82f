"""Speed and memory benchmark: prints figures (load times, retrieval, first token, decode rate, RSS)."""
from __future__ import annotations

import resource
import statistics
import time

from bot.config import Settings

QUESTIONS = [
    "Quelle est la taille prévue du marché de l'IA en santé en Chine en 2030 ?",
    "Which companies lead rural telemedicine in China?",
    "Quels sont les avantages de la zone Hainan Boao Lecheng ?",
    "What does the report advise foreign firms about patient data localisation?",
    "Combien de dispositifs de classe III la NMPA avait-elle approuvés à la mi-2024 ?",
    "Which business model suits investors who want predictable returns?",
]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def run_bench(settings: Settings, repeats: int = 1) -> dict:
    from bot.index import build_index
    from bot.retrieve import Retriever
    from bot.runtime import load_embedder, load_generator, load_pipeline

    figures: dict[str, float] = {"rss_start_mb": _rss_mb()}
    embedder, figures["embedder_load_s"] = _timed(lambda: load_embedder(settings))
    index, figures["index_build_s"] = _timed(lambda: build_index(settings, embedder))
    figures["chunks"] = len(index.chunks)
    retriever = Retriever(index, embedder, settings.retrieval, settings.rrf_k)
    retriever.search("warm-up", 1)
    times = [_timed(lambda q=q: retriever.search(q, settings.top_k))[1] * 1000 for q in QUESTIONS * 3]
    figures["retrieve_ms_p50"] = statistics.median(times)
    generator, figures["generator_load_s"] = _timed(lambda: load_generator(settings))
    figures["rss_models_mb"] = _rss_mb()
    pipeline = load_pipeline(settings, embedder, generator)

    first, total, rates, prompt_tokens = [], [], [], []
    from bot.prompts import build_messages
    from bot.retrieve import focus

    for _ in range(repeats):
        for question in QUESTIONS:
            answer = pipeline.answer(question)
            if answer.timings.first_token_ms:
                passages = list(focus(answer.passages, settings.table_focus_margin))
                messages = build_messages(question, answer.language, passages, [],
                                          turns=settings.history_turns, chars=settings.history_chars)
                text = "".join(m["content"] for m in messages)
                prompt_tokens.append(generator.count_tokens(text))
                tokens = generator.count_tokens(answer.text)
                decode_s = (answer.timings.total_ms - answer.timings.first_token_ms) / 1000
                first.append(answer.timings.first_token_ms)
                rates.append(tokens / decode_s if decode_s > 0 else 0.0)
            total.append(answer.timings.total_ms)
            print(f"  {answer.timings.first_token_ms / 1000:5.1f}s first token, "
                  f"{answer.timings.total_ms / 1000:5.1f}s total  {question[:60]}", flush=True)
    figures.update({
        "questions": len(total),
        "prompt_tokens_median": statistics.median(prompt_tokens) if prompt_tokens else 0,
        "first_token_ms_p50": statistics.median(first) if first else 0,
        "first_token_ms_max": max(first) if first else 0,
        "total_ms_p50": statistics.median(total),
        "total_ms_max": max(total),
        "decode_tokens_per_s_median": statistics.median(rates) if rates else 0,
        "rss_peak_mb": _rss_mb(),
    })
    return figures


def print_figures(figures: dict[str, float], settings: Settings) -> None:
    print(f"\nBenchmark ({settings.generator} generator, {settings.threads} threads, top_k={settings.top_k})")
    for name, value in figures.items():
        print(f"  {name:28} {value:12.1f}" if isinstance(value, float) else f"  {name:28} {value:12}")
