"""The real app in a real server process, driven by Debian's Chromium through Playwright."""
import json
import time
import urllib.request

import pytest

from bot.config import ROOT

from servers import browser_page, serve

pytestmark = [pytest.mark.browser, pytest.mark.integration]

ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ui")
    feedback = folder / "feedback.jsonl"
    with serve(folder, BOT_FEEDBACK_PATH=str(feedback)) as url:
        yield url, feedback


@pytest.fixture(scope="module")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def page(playwright, app_url):
    browser, page = browser_page(playwright, app_url[0])
    yield page
    browser.close()


def ask(page, question: str, done_word: str) -> str:
    answers_before = page.locator("#chat [data-testid='bot']").count()
    page.fill("#question textarea", question)
    page.click("#send")
    page.wait_for_function(
        "([n, word]) => document.querySelectorAll('#chat [data-testid=\"bot\"]').length > n"
        " && document.querySelector('#status').innerText.includes(word)",
        arg=[answers_before, done_word], timeout=240_000)
    return page.locator("#chat [data-testid='bot']").last.inner_text()


def test_french_question_streams_a_cited_answer_with_its_source(page):
    answer = ask(page, "Quelle est la taille prévue du marché de l'IA en santé en Chine en 2030 ?", "Réponse en")
    assert "18,88" in answer and "[" in answer
    sources = page.inner_html("#sources")
    assert 'id="source-' in sources and "<mark>" in sources and "18,88" in page.inner_text("#sources")


def test_english_question_gets_an_english_answer_and_the_right_passage(page):
    page.click("#ui-lang label:has-text('English')")
    page.wait_for_selector("#send:has-text('Send')")
    answer = ask(page, "Which company localised its AI imaging with secure data centres in China?", "Answered in")
    assert "Philips" in answer
    assert "Philips a localisé" in page.inner_text("#sources")


def test_feedback_is_appended_to_the_jsonl_file(page, app_url):
    page.fill("#comment textarea", "précis et bien sourcé")
    page.locator("#chat button[aria-label='Like']").last.click()
    feedback = app_url[1]
    deadline = time.time() + 20
    while time.time() < deadline and not (feedback.exists() and feedback.read_text(encoding="utf-8").endswith("\n")):
        time.sleep(0.5)
    record = json.loads(feedback.read_text(encoding="utf-8").splitlines()[-1])
    assert record["rating"] == "up" and record["comment"] == "précis et bien sourcé"
    assert "Philips" in record["answer"] and record["citations"]


def test_cited_french_passage_is_translated_on_demand(page):
    page.click("#translate")
    page.wait_for_selector("#sources .translation", timeout=240_000)
    assert "Philips" in page.inner_text("#sources .translation")


def test_conversation_exports_as_markdown(page):
    page.click("#export")
    link = page.wait_for_selector("#export-file a[href*='conversation']", timeout=30_000)
    href = link.get_attribute("href")
    body = urllib.request.urlopen(href if href.startswith("http") else page.url + href.lstrip("/")).read().decode()
    assert body.startswith("# ") and "Philips" in body and "> " in body


def test_stop_interrupts_an_answer_and_the_chat_goes_on(page):
    page.click("#ui-lang label:has-text('English')")
    page.fill("#question textarea", "Quels sont les quatre obstacles du tableau des barrières à l'entrée ?")
    page.click("#send")
    page.wait_for_function("document.querySelector('#status').innerText.includes('Writing')", timeout=60_000)
    started = time.time()
    page.click("#stop")
    page.wait_for_function("document.querySelector('#status').innerText.includes('Stopped.')", timeout=30_000)
    assert time.time() - started < 10
    assert "(Stopped.)" in page.locator("#chat [data-testid='bot']").last.inner_text()
    assert "Error" not in page.inner_text("#status")
    assert "Philips" in ask(page, "Which company set up secure data processing centres in China?", "Answered in")


def test_a_declined_question_says_why_and_shows_the_nearest_passages(page):
    from bot.prompts import NOT_COVERED, REASONS, UI

    page.click("#ui-lang label:has-text('English')")
    answer = ask(page, "What is the AI healthcare market size in Brazil?", "Answered in")
    assert NOT_COVERED["en"] in answer, answer
    assert any(UI["why"]["en"].format(reason=reason["en"]) in answer for reason in REASONS.values()), answer
    assert UI["nearest"]["en"] in answer and page.locator("#chat a[href='#nearest-1']").count() == 1
    assert UI["nearest"]["en"] in page.inner_text("#sources") and page.locator("#sources .nearest").count() >= 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "refusal.png"), full_page=True)


def test_no_file_of_the_machine_is_served(app_url):
    import urllib.error

    for path in ("gradio_api/file=/etc/passwd", "file=/etc/passwd", "gradio_api/file=../../etc/passwd",
                 f"gradio_api/file={ROOT / 'README.md'}"):
        try:
            body = urllib.request.urlopen(app_url[0] + path, timeout=10).read()
        except urllib.error.HTTPError as exc:
            assert exc.code in (403, 404), (path, exc.code)
        else:
            assert b"root:" not in body and b"# IA en sant" not in body, path


def test_script_in_a_question_is_shown_as_text(page):
    question = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\"> Qui est Philips ?"
    ask(page, question, "Answered in")
    assert page.evaluate("window.__pwned") is None
    assert "<script>window.__pwned = 1</script>" in page.locator("#chat [data-testid='user']").last.inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui.png"), full_page=True)
    assert (ARTIFACTS / "ui.png").stat().st_size > 10_000


def test_missing_models_are_explained_in_the_page(tmp_path, playwright):
    with serve(tmp_path, BOT_CACHE_DIR=str(tmp_path / "empty-cache")) as url:
        browser, page = browser_page(playwright, url)
        message = page.inner_text("#startup-error")
        assert "make setup" in message and "Traceback" not in page.content()
        page.fill("#question textarea", "Quelle est la taille du marché ?")
        page.click("#send")
        page.wait_for_function("document.querySelector('#status').innerText.includes('make setup')", timeout=30_000)
        browser.close()
