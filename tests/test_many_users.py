"""Many users at once through the app's API: each question answered in its own session, none lost, a bounded
queue whose overflow is told it is busy, bounded request bodies, answers and conversations.

The fast tests run the Gradio app in this process over the real report, FAISS index and checks, with honest
stand-ins for the models; the integration test starts a real `python -m bot serve`."""
import http.client
import json
import threading
import time
import urllib.request
from urllib.parse import urlparse

import pytest

from bot.config import ROOT
from bot.prompts import UI

from fakes import AnswerKey
from servers import apps_in_process, browser_page, serve

# Eight questions about eight different companies: each answer names its own.
COMPANIES = {
    "Dans combien d'hôpitaux l'IA de dépistage du cancer de Tencent est-elle déployée ?": "Tencent",
    "Quel acteur local, aux côtés de Tencent Miying, intègre directement des modules d'IA dans les plateformes "
    "hospitalières existantes ?": "United Imaging",
    "Quelle entreprise le rapport présente-t-elle comme pionnière des hôpitaux intelligents en Chine ?": "Ping An",
    "Quelle plateforme est citée comme exemple notable de MTC numérique ?": "WeDoctor",
    "Quelle entreprise locale de médecine de précision par IA a prospéré en s'installant dans les zones "
    "d'innovation ?": "iCarbonX",
    "Quelle entreprise a investi dans des moteurs avancés de nettoyage de données pour pallier la fragmentation "
    "des EMR ?": "Yitu",
    "Quelle entreprise a développé des outils d'IA pour détecter rapidement les AVC ischémiques sur scanner ?":
        "Deepwise",
    "Quelle entreprise a noué des partenariats avec des universités chinoises pour répondre à la pénurie de "
    "talents ?": "Baidu",
}
QUESTIONS = list(COMPANIES)


def gold_replies() -> dict[str, str]:
    from bot.metrics import load_gold

    return {g.question: f"{g.reference} [1]" for g in load_gold(ROOT / "eval" / "gold.jsonl")}


class Gated(AnswerKey):
    """The answer key, once the gate is opened: the test decides when the model may start."""

    def __init__(self, replies: dict[str, str], delay: float = 0.0):
        super().__init__(replies, delay)
        self.gate = threading.Event()

    def stream(self, messages, max_tokens):
        assert self.gate.wait(timeout=120)
        yield from super().stream(messages, max_tokens)


def client(url: str):
    from gradio_client import Client

    return Client(url, verbose=False)


def text_of(message: dict) -> str:
    content = message["content"]
    return content if isinstance(content, str) else " ".join(part.get("text", "") for part in content)


def queue_size(url: str) -> int:
    return json.loads(urllib.request.urlopen(url + "gradio_api/queue/status", timeout=10).read())["queue_size"]


def wait_for_queue(url: str, size: int, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while queue_size(url) < size:
        assert time.time() < deadline, f"the queue never held {size} questions"
        time.sleep(0.05)


def declared_body(url: str, length: int) -> tuple[int, str]:
    """POST headers declaring a body of `length` bytes, then only 10 bytes: the answer must come from the headers."""
    address = urlparse(url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    connection.putrequest("POST", "/gradio_api/queue/join")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(length))
    connection.endheaders()
    connection.send(b'{"data": [')
    response = connection.getresponse()
    return response.status, response.read().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app in this process, one word every 20 ms; a factory so each test sets its own bounds."""
    with apps_in_process(tmp_path_factory.mktemp("many"), lambda: AnswerKey(gold_replies(), delay=0.02)) as start:
        yield lambda generator=None, **bounds: start(generator, **bounds)[0] + "/"


@pytest.mark.slow  # eight API clients and a server: ~6 s
def test_eight_sessions_at_once_each_get_their_own_answer(app):
    model = Gated(gold_replies(), delay=0.01)
    url = app(max_queue=16, generator=model)
    clients = [client(url) for _ in QUESTIONS]
    jobs = [c.submit(q, [], "fr", api_name="/ask") for c, q in zip(clients, QUESTIONS)]
    wait_for_queue(url, 7)  # all eight are in: one holding the model, seven waiting
    model.gate.set()
    results = [job.result(timeout=120) for job in jobs]
    for question, (chat, sources, status, box) in zip(QUESTIONS, results):
        assert [m["role"] for m in chat] == ["user", "assistant"]
        assert text_of(chat[0]) == question and status.startswith("Réponse en") and box == ""
        assert COMPANIES[question] in text_of(chat[1]), (question, text_of(chat[1]))
        assert all(other not in text_of(chat[1]) for other in ("Yitu", "iCarbonX", "Baidu", "Deepwise")
                   if other != COMPANIES[question])
    assert queue_size(url) == 0


def test_a_question_beyond_the_queue_is_told_the_service_is_busy(app):
    from gradio_client.exceptions import AppError
    from gradio_client.utils import QueueError

    model = Gated(gold_replies())
    url = app(max_queue=2, generator=model)
    admitted = [client(url).submit(q, [], "fr", api_name="/ask") for q in QUESTIONS[:3]]
    wait_for_queue(url, 2)  # one holding the model, two waiting: full
    with pytest.raises((QueueError, AppError), match="(?i)queue is full.*try again"):
        client(url).predict(QUESTIONS[3], [], "fr", api_name="/ask")
    model.gate.set()
    for question, job in zip(QUESTIONS, admitted):  # nothing admitted is lost
        chat = job.result(timeout=120)[0]
        assert COMPANIES[question] in text_of(chat[-1])
    assert COMPANIES[QUESTIONS[3]] in text_of(client(url).predict(QUESTIONS[3], [], "fr", api_name="/ask")[0][-1])


def test_a_request_body_over_the_bound_is_refused(app):
    url = app(max_request_bytes=50_000)
    status, body = declared_body(url, 50_001)
    assert status == 413 and "50000" in body
    assert COMPANIES[QUESTIONS[0]] in text_of(client(url).predict(QUESTIONS[0], [], "fr", api_name="/ask")[0][-1])


def test_an_answer_past_the_time_limit_is_ended_and_the_user_told(app):
    slow = AnswerKey({QUESTIONS[0]: "Tencent " + "encore " * 300}, delay=0.05)
    url = app(max_answer_seconds=1.5, generator=slow)
    session = client(url)
    started = time.perf_counter()
    chat, _, status, _ = session.predict(QUESTIONS[0], [], "en", api_name="/ask")
    message = UI["time_limit"]["en"].format(seconds="1.5")
    assert status == message and time.perf_counter() - started < 15
    assert text_of(chat[-1]).startswith("Tencent encore") and message in text_of(chat[-1])
    slow.replies = gold_replies()  # the model is free again: the next question is answered
    chat, _, status, _ = session.predict(QUESTIONS[0], chat, "en", api_name="/ask")
    assert COMPANIES[QUESTIONS[0]] in text_of(chat[-1]) and status.startswith("Answered in")


def test_a_conversation_keeps_its_last_exchanges(app):
    url = app(max_exchanges=2)
    session, chat = client(url), []
    for question in QUESTIONS[:3]:
        chat = session.predict(question, chat, "fr", api_name="/ask")[0]
    assert [text_of(m) for m in chat[::2]] == QUESTIONS[1:3]
    exported = open(session.predict(api_name="/export"), encoding="utf-8").read()
    assert QUESTIONS[0] not in exported and QUESTIONS[1] in exported and QUESTIONS[2] in exported


@pytest.mark.integration
@pytest.mark.browser
def test_eight_users_of_the_real_server(tmp_path, record_property, capsys):
    """A real `python -m bot serve` (64-token answers, a queue of 7): eight sessions at once
    are each answered exactly as their question is answered alone; a ninth question, from the API or the page,
    is told the service is busy; an oversized body is refused."""
    from gradio_client.exceptions import AppError
    from gradio_client.utils import QueueError
    from playwright.sync_api import sync_playwright

    started = time.perf_counter()
    # The default generator: the 0.5B one declines most of these questions, and identical refusals
    # would hide a mix-up between sessions.
    with serve(tmp_path, BOT_MAX_ANSWER_TOKENS="64", BOT_MAX_QUEUE="7",
               BOT_FEEDBACK_PATH=str(tmp_path / "feedback.jsonl")) as url, sync_playwright() as p:
        browser, page = browser_page(p, url)
        clients = [client(url) for _ in QUESTIONS]
        queued = time.perf_counter()
        jobs = [c.submit(q, [], "fr", api_name="/ask") for c, q in zip(clients, QUESTIONS)]
        wait_for_queue(url, 7)  # one answering, seven waiting: the queue is full
        page.fill("#question textarea", QUESTIONS[0])
        page.click("#send")
        with pytest.raises((QueueError, AppError), match="(?i)queue is full.*try again"):
            client(url).predict(QUESTIONS[0], [], "fr", api_name="/ask")
        page.wait_for_selector("text=/currently busy/i", timeout=30_000)
        assert "Traceback" not in page.content()
        assert declared_body(url, 2_000_000)[0] == 413

        together = [job.result(timeout=1200) for job in jobs]
        concurrent_seconds = time.perf_counter() - queued
        alone = [client(url).predict(q, [], "fr", api_name="/ask") for q in QUESTIONS]
        browser.close()
    answers = [text_of(result[0][-1]) for result in together]
    for question, result, reference in zip(QUESTIONS, together, alone):
        assert text_of(result[0][0]) == question and result[2].startswith("Réponse en")
        assert text_of(result[0][-1]) == text_of(reference[0][-1]), question
    distinct = len(set(answers))
    lines = [f"8 users: {len(together)} answered, 0 lost, {distinct} distinct answers, "
             f"{concurrent_seconds:.0f} s for the eight together; whole test {time.perf_counter() - started:.0f} s"]
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    record_property("many_users", lines[0])
    assert distinct >= 6, answers  # enough different answers that a mix-up between sessions would show
