"""Generation by an OpenAI-compatible server: streaming, errors, retry and time limit against an in-process
stand-in; then `ask --jsonl` against a real `python -m llama_cpp.server` that is killed midway."""
import io
import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest

from bot import cli
from bot.runner import Runner
from bot.config import ROOT, load_settings
from bot.errors import ServerError, TimeLimitError
from bot.index import build_index
from bot.lang import detect_language
from bot.pipeline import Pipeline
from bot.prompts import error_message
from bot.remote import GREEDY, RemoteGenerator
from bot.retrieve import Retriever
from bot.types import Done

from fakes import HashEmbedder
from servers import ChatStandIn, free_port

KEY = "sk-not-for-your-eyes-1234"
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Bonjour ?"}]
QUESTION = "Quelle est la valeur du marché de l'IA en santé en Chine en 2030 ?"
REPLY = ["Le marché devrait", " atteindre 18,88 milliards", " de dollars US d'ici 2030 [1]."]


@pytest.fixture
def standin():
    with ChatStandIn() as server:
        yield server


def remote(url: str, **options) -> RemoteGenerator:
    """A generator for the protocol's tests: one request per answer, unless `system_prefix_only` is asked."""
    options.setdefault("system_prefix_only", False)
    return RemoteGenerator(url, "qwen-test", "qwen-test (server)", **options)


def says(error: Exception | str, key: str, **values) -> bool:
    """The error is the sentence `key`, in French and in English."""
    return str(error) == " / ".join(error_message(key, lang, **values) for lang in ("fr", "en"))


def test_pieces_arrive_in_order_with_the_greedy_settings_and_the_key_as_a_bearer_token(standin):
    assert list(remote(standin.url, api_key=KEY).stream(MESSAGES, 50)) == standin.pieces
    (request,) = standin.requests
    assert request["headers"]["Authorization"] == f"Bearer {KEY}"
    body = request["body"]
    assert body == {"model": "qwen-test", "messages": MESSAGES, "max_tokens": 50, "stream": True,
                    "cache_prompt": True, **GREEDY}
    assert GREEDY == {"temperature": 0.0, "top_k": 1, "top_p": 1.0, "min_p": 0.0, "repeat_penalty": 1.0, "seed": 0}
    list(remote(standin.url).stream(MESSAGES, 5))
    assert "Authorization" not in standin.requests[-1]["headers"]  # no key, no header


def test_by_default_the_servers_cache_is_left_with_the_system_prompt_before_each_answer(standin):
    """A one-token answer to the system message and an empty user message goes first: llama.cpp's server
    then shares with the prompt exactly the system prompt, and reads the rest as the in-process model does."""
    generator = RemoteGenerator(standin.url, "qwen-test", "qwen-test (server)")
    assert generator.system_prefix_only
    for _ in range(2):
        assert list(generator.stream(MESSAGES, 50)) == standin.pieces
    bodies = [request["body"] for request in standin.requests]
    primer = {"model": "qwen-test", "messages": [MESSAGES[0], {"role": "user", "content": ""}], "max_tokens": 1,
              "stream": True, "cache_prompt": True, **GREEDY}
    assert bodies == [primer, {**primer, "messages": MESSAGES, "max_tokens": 50}] * 2

    standin.plan = ["drop"]  # a dropped primer is one more dropped connection before any piece
    assert list(generator.stream(MESSAGES, 50)) == standin.pieces and len(standin.requests) == 4 + 3
    standin.plan = ["error"]  # and a server's error is the answer's
    with pytest.raises(ServerError, match="HTTP 500"):
        list(generator.stream(MESSAGES, 50))
    assert len(standin.requests) == 8
    list(generator.stream(MESSAGES[1:], 50))  # no system message, nothing to keep
    assert standin.requests[-1]["body"]["messages"] == MESSAGES[1:] and len(standin.requests) == 9
    settings = load_settings({"BOT_LLM_URL": standin.url, "BOT_LLM_CACHE": "longest"})
    from bot.runtime import load_generator
    assert not load_generator(settings).system_prefix_only and load_generator(load_settings({
        "BOT_LLM_URL": standin.url})).system_prefix_only


def test_a_question_with_passages_is_preceded_by_its_lead_as_in_process_it_is_read_on_from_it(standin):
    """After the primer, a one-token answer to the system prompt and passage [1]: the server's cache then
    shares exactly that with the prompt, computed in the same batches as in-process."""
    from bot.prompts import build_messages, lead
    from bot.types import Chunk, Passage

    chunk = Chunk("c1", "r.txt", "Marché", "Marché ¶1", "Le marché atteindra 18,88 milliards en 2030.")
    messages = build_messages(QUESTION, "fr", [Passage(chunk, 1, 1.0, 0.8)], [], turns=2, chars=600)
    generator = RemoteGenerator(standin.url, "qwen-test", "qwen-test (server)")
    assert list(generator.stream(messages, 50)) == standin.pieces
    bodies = [request["body"] for request in standin.requests]
    assert [(b["messages"], b["max_tokens"]) for b in bodies] == [
        ([messages[0], {"role": "user", "content": ""}], 1), (lead(messages), 1), (messages, 50)]
    assert lead(messages)[1]["content"].endswith("18,88 milliards en 2030. »")


def test_a_second_draft_goes_without_the_primer_as_in_process_it_is_read_on_from_the_first(standin):
    """The server's cache then holds the first draft's prompt, and reads only the hint, as LlamaGenerator does."""
    generator = RemoteGenerator(standin.url, "qwen-test", "qwen-test (server)")
    hinted = [MESSAGES[0], {"role": "user", "content": MESSAGES[1]["content"] + "\nUne phrase complète."}]
    for messages in (MESSAGES, hinted, hinted, MESSAGES):
        assert list(generator.stream(messages, 50)) == standin.pieces
    standin.plan = ["ok", "error"]
    with pytest.raises(ServerError):
        list(generator.stream(MESSAGES, 50))
    list(generator.stream(hinted, 50))  # its first draft got no answer: the server's cache holds something else
    primer = [MESSAGES[0], {"role": "user", "content": ""}]
    assert [request["body"]["messages"] for request in standin.requests] == [
        primer, MESSAGES, hinted, primer, hinted, primer, MESSAGES, primer, MESSAGES, primer, hinted]


def test_an_error_status_is_a_clear_server_error_without_the_key(standin):
    standin.plan = ["error"]
    with pytest.raises(ServerError) as caught:
        list(remote(standin.url, api_key=KEY).stream(MESSAGES, 50))
    assert KEY not in str(caught.value) and "HTTP 500: model crashed" in str(caught.value)
    assert str(caught.value).startswith("Le serveur de génération") and "The generation server" in str(caught.value)
    assert len(standin.requests) == 1  # an answer from the server is not retried


def test_the_key_is_never_shown_by_the_settings_or_the_generator():
    settings = load_settings({"BOT_LLM_URL": "http://127.0.0.1:1/v1", "BOT_LLM_API_KEY": KEY})
    assert settings.llm_api_key == KEY and KEY not in repr(settings)
    generator = remote(settings.llm_url, api_key=KEY)
    assert KEY not in repr(generator) and KEY not in generator.name


def test_a_connection_dropped_before_any_piece_is_tried_once_more(standin):
    standin.plan = ["drop"]
    assert "".join(remote(standin.url).stream(MESSAGES, 50)) == "".join(standin.pieces)
    assert len(standin.requests) == 2
    standin.plan = ["drop", "drop"]
    with pytest.raises(ServerError) as caught:
        list(remote(standin.url).stream(MESSAGES, 50))
    assert says(caught.value, "server_dropped", url=standin.url) and len(standin.requests) == 4


def test_a_connection_dropped_after_a_piece_is_not_retried(standin):
    standin.plan = ["drop_after_first"]
    pieces = []
    with pytest.raises(ServerError) as caught:
        for piece in remote(standin.url).stream(MESSAGES, 50):
            pieces.append(piece)
    assert pieces == standin.pieces[:1] and len(standin.requests) == 1
    assert says(caught.value, "server_dropped", url=standin.url)


def test_a_server_that_is_down_gives_a_clear_error_at_once():
    url = f"http://127.0.0.1:{free_port()}/v1"
    started = time.perf_counter()
    with pytest.raises(ServerError) as caught:
        list(remote(url).stream(MESSAGES, 50))
    assert says(caught.value, "server_down", url=url) and time.perf_counter() - started < 5
    assert "BOT_LLM_URL" in str(caught.value)


def test_closing_the_stream_ends_the_request(standin):
    standin.pieces, standin.delay = [f" {i}" for i in range(200)], 0.02
    pieces = remote(standin.url).stream(MESSAGES, 500)
    assert next(pieces) == " 0" and next(pieces) == " 1"
    pieces.close()
    assert standin.disconnected.wait(5) and standin.sent < 200


def test_the_time_limit_ends_a_slow_answer_and_a_silent_server(standin):
    standin.pieces, standin.delay = [f" {i}" for i in range(100)], 0.1
    started = time.perf_counter()
    with pytest.raises(TimeLimitError):
        list(remote(standin.url, time_limit=0.5).stream(MESSAGES, 500))
    assert time.perf_counter() - started < 2 and standin.disconnected.wait(5)

    standin.pieces, standin.delay, standin.plan = ["Oui."], 0.0, ["silent"]
    started = time.perf_counter()
    with pytest.raises(TimeLimitError):
        list(remote(standin.url, time_limit=0.5).stream(MESSAGES, 500))
    assert time.perf_counter() - started < 2

    standin.plan = ["silent"]  # no time limit: the read timeout ends the wait
    with pytest.raises(ServerError) as caught:
        list(remote(standin.url, read_seconds=0.5).stream(MESSAGES, 500))
    assert says(caught.value, "server_silent", url=standin.url, seconds="0.5")
    assert list(remote(standin.url).stream(MESSAGES, 500)) == ["Oui."]  # and the next one is whole


def test_server_sent_events_are_read_as_the_format_says():
    from bot.remote import events

    lines = [": a comment", "event: message", "data: {\"a\": 1}", "", "", "data:x", "data: y", "", "data: [DONE]"]
    assert list(events(iter(lines))) == ['{"a": 1}', "x\ny", "[DONE]"]


def test_settings_choose_the_server_and_check_its_url():
    from bot.errors import BotError
    from bot.runtime import load_generator

    generator = load_generator(load_settings({"BOT_LLM_URL": "http://127.0.0.1:1/v1", "BOT_GENERATOR": "0.5b"}))
    assert isinstance(generator, RemoteGenerator) and generator.model == "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    assert generator.name == "Qwen2.5-Coder-0.5B-Instruct Q4_K_M (server)"
    named = load_generator(load_settings({"BOT_LLM_URL": "http://h:1/v1", "BOT_LLM_MODEL": "qwen2.5:1.5b"}))
    assert named.model == "qwen2.5:1.5b" and named.name == "qwen2.5:1.5b (server)"
    with pytest.raises(BotError, match="BOT_LLM_URL"):
        load_settings({"BOT_LLM_URL": "127.0.0.1:8080"})
    assert cli.build_parser().parse_args(["eval", "--llm-url", "http://h:1/v1"]).llm_url == "http://h:1/v1"


@pytest.fixture
def pipeline(settings, standin):
    """The real index and pipeline, a stand-in embedder, and the stand-in server as generator."""
    standin.pieces = REPLY
    embedder = HashEmbedder()
    retriever = Retriever(build_index(settings, embedder), embedder)
    return Pipeline(settings, embedder, retriever, remote(standin.url, api_key=KEY))


def test_ask_jsonl_answers_the_next_question_after_a_server_error(pipeline, standin):
    def lines():  # the batch reads a line once the previous one is answered
        yield QUESTION + "\n"
        standin.failing = True
        yield QUESTION + "\n"
        standin.failing = False
        yield QUESTION + "\n"

    class Typed:
        """Standard input read as it is typed, a line at a time."""

        def __init__(self):
            self.lines = lines()

        def readline(self, limit: int = -1) -> str:
            return next(self.lines, "")

    out = io.StringIO()
    assert cli._jsonl(pipeline, Typed(), out) == 0
    first, failed, third = [json.loads(line) for line in out.getvalue().splitlines()]
    assert "18,88" in first["answer"] and first["model"] == "qwen-test (server)" and first["citations"]
    assert set(failed) == {"question", "error"} and "HTTP 500" in failed["error"] and KEY not in failed["error"]
    assert third["answer"] == first["answer"]


def test_the_chat_shows_the_server_error_and_answers_the_next_question(pipeline, standin):
    runner = Runner(pipeline)
    standin.failing = True
    events = list(runner.events(QUESTION, [], "session-a"))
    assert isinstance(events[-1], ServerError) and KEY not in str(events[-1])
    standin.failing = False
    events = list(runner.events(QUESTION, [], "session-a"))
    assert isinstance(events[-1], Done) and "18,88" in events[-1].answer.text


QUESTIONS = (("Quelle est la taille prévue du marché de l'IA en santé en Chine en 2030 ?", "fr", "18,88"),
             # Its first draft is a bare list of names (on the machines measured): the second draft, read on
             # from the first draft's prompt, is then the server's as it is the in-process model's.
             ("Which cities host the AI accelerators and incubators that serve as gateways for foreign health-tech "
              "firms?", "en", "Shenzhen"))


@pytest.mark.integration
@pytest.mark.timeout(1200)
def test_ask_jsonl_through_a_real_llama_cpp_server_answers_as_in_process_then_with_it_killed(tmp_path):
    """llama-cpp-python's server with the product's model on a free port: a French and an English question
    are answered through it, cited, word for word as the model in-process answers them; once it is killed,
    the next question gets a clear error and the batch exits 0."""
    from bot.models import GENERATORS, check_model

    settings = load_settings()
    model = check_model(GENERATORS["1.5b"], settings.cache_dir)
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1", "--port", str(port),
         "--n_ctx", "4096", "--n_threads", str(settings.threads), "--n_threads_batch", str(settings.threads)],
        stdout=log, stderr=log)
    ask = None
    try:
        deadline = time.time() + 120
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            try:
                urllib.request.urlopen(f"{url}/models", timeout=2)
                break
            except OSError:
                assert time.time() < deadline, "llama_cpp.server did not answer within 120 s"
                time.sleep(0.5)
        # The time limit is lifted: this test is about the server, on a machine that may be busy.
        env = dict(os.environ, BOT_LLM_URL=url, BOT_MAX_ANSWER_SECONDS="900")
        ask = subprocess.Popen([sys.executable, "-m", "bot", "ask", "--jsonl"], cwd=ROOT, env=env, text=True,
                               encoding="utf-8", stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        records = []
        for question, language, fact in QUESTIONS:
            started = time.perf_counter()
            ask.stdin.write(question + "\n")
            ask.stdin.flush()
            record = json.loads(ask.stdout.readline())
            print(f"{language}: {time.perf_counter() - started:.1f} s {record}")
            assert "error" not in record, record
            assert record["model"] == f"{GENERATORS['1.5b'].label} (server)"
            assert record["language"] == language and detect_language(record["answer"]) == language, record
            assert not record["abstained"] and fact in record["answer"], record
            assert any(fact in c["text"] for c in record["citations"]), record  # cited where the report says it
            records.append(record)

        server.kill()
        server.wait(timeout=30)
        out, err = ask.communicate("What is the projected market size in 2030?\n", timeout=300)
        (last,) = [json.loads(line) for line in out.splitlines()]
        assert says(last["error"], "server_down", url=url), last
        assert ask.returncode == 0 and "Traceback" not in err, err[-3000:]

        env = dict(os.environ, BOT_MAX_ANSWER_SECONDS="900")
        env.pop("BOT_LLM_URL", None)
        alone = subprocess.run([sys.executable, "-m", "bot", "ask", "--jsonl"], cwd=ROOT, env=env, text=True,
                               encoding="utf-8", input="".join(q + "\n" for q, *_ in QUESTIONS), capture_output=True,
                               timeout=600)
        in_process = [json.loads(line) for line in alone.stdout.splitlines()]
        assert [r["answer"] for r in in_process] == [r["answer"] for r in records], alone.stderr[-3000:]
        assert [r["model"] for r in in_process] == [GENERATORS["1.5b"].label] * 2
    finally:
        for process in (server, ask):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=30)
        log.close()
