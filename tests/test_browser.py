"""The real app in a real server process, driven by Debian's Chromium through Playwright."""
import json
import time
import urllib.request

import pytest

from bot.config import ROOT

from servers import apps_in_process, browser_page, serve

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
    page.fill("#question textarea", "Quelles sont les principales opportunités pour les investisseurs étrangers ?")
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


# The first screen, suggestions, a conversation kept over a reload: in a browser of their own, so that
# its storage starts empty.

def gold_by_question() -> dict:
    from bot.metrics import load_gold

    return {g.question: g for g in load_gold(ROOT / "eval" / "gold.jsonl")}


def suggestions_shown(page) -> list[str]:
    return [b.inner_text().strip() for b in page.locator("[id^='suggestion-']:visible").all()]


def conversation_shown(page) -> list[str]:
    return [m.inner_text() for m in page.locator("#chat [data-testid='user'], #chat [data-testid='bot']").all()]


@pytest.fixture(scope="module")
def reader(playwright, app_url):
    browser, page = browser_page(playwright, app_url[0])
    yield page
    browser.close()


def test_the_first_screen_says_what_the_report_covers_and_a_suggestion_is_answered(reader):
    from bot.metrics import facts_present
    from bot.prompts import NOT_COVERED, UI
    from bot.suggest import correct_ids

    gold, right = gold_by_question(), correct_ids(ROOT / "eval" / "results.json")
    overview = reader.inner_text("#overview")
    assert "Ce que couvre le rapport" in overview and "Imagerie médicale et diagnostics" in overview
    french = suggestions_shown(reader)
    assert len(french) == 3 and UI["suggested"]["fr"] in reader.inner_text("#suggested")
    assert all(gold[q].lang == "fr" and gold[q].id in right for q in french)  # questions the report answers
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    reader.screenshot(path=str(ARTIFACTS / "first-screen.png"), full_page=True)

    reader.click("#ui-lang label:has-text('English')")
    reader.wait_for_function("document.querySelector('#overview').innerText.includes('What the report covers')")
    assert "Medical imaging and diagnostics" in reader.inner_text("#overview")
    english = suggestions_shown(reader)
    assert len(english) == 3 and all(gold[q].lang == "en" and gold[q].id in right for q in english)
    reader.click("#ui-lang label:has-text('Français')")
    reader.wait_for_function("document.querySelector('#overview').innerText.includes('Ce que couvre')")

    question = suggestions_shown(reader)[0]
    reader.click("#suggestion-0")
    reader.wait_for_function(
        "document.querySelectorAll('#chat [data-testid=\"bot\"]').length === 1"
        " && document.querySelector('#status').innerText.includes('Réponse en')", timeout=240_000)
    assert reader.locator("#chat [data-testid='user']").last.inner_text().strip() == question
    answer = reader.locator("#chat [data-testid='bot']").last.inner_text()
    assert NOT_COVERED["fr"] not in answer and "[1]" in answer, answer
    assert facts_present(answer, gold[question].facts), answer
    assert 'id="source-1"' in reader.inner_html("#sources")


def test_an_answer_is_followed_by_questions_on_what_it_cited(reader):
    from bot.prompts import UI

    reader.wait_for_function(f"document.querySelector('#suggested').innerText.includes({UI['follow_ups']['fr']!r})",
                             timeout=30_000)
    asked = reader.locator("#chat [data-testid='user']").last.inner_text().strip()
    follow = suggestions_shown(reader)
    gold = gold_by_question()
    assert 2 <= len(follow) <= 3 and asked not in follow
    assert all(gold[q].lang == "fr" for q in follow)
    assert not reader.locator("#overview").is_visible()  # the overview is for an empty conversation
    reader.screenshot(path=str(ARTIFACTS / "follow-ups.png"), full_page=True)


def test_a_source_card_opens_the_report_at_its_passage_outlined(reader):
    from bot.prompts import UI

    assert UI["report"]["fr"] in reader.inner_text("#report summary")
    assert not reader.evaluate("document.querySelector('#report details').open")  # folded until asked for
    assert reader.locator("#report table").count() == 2 and reader.locator("#report li").count() > 20
    card = reader.locator("#sources .source[data-chunk]").first
    chunk = card.get_attribute("data-chunk")
    card.locator(".head").click()
    reader.wait_for_function("document.querySelector('#report details').open", timeout=10_000)
    outlined = reader.locator("#report .outlined")
    assert outlined.count() >= 1
    assert all(chunk in block.get_attribute("data-chunks").split() for block in outlined.all())
    words = " ".join(outlined.first.inner_text().split()[:2])
    assert words in " ".join(card.locator(".text").inner_text().split())  # the card's passage, where it stands
    reader.wait_for_timeout(500)  # the scroll
    box, view = outlined.first.bounding_box(), reader.locator("#report .report-body").bounding_box()
    assert view["y"] - 1 <= box["y"] < view["y"] + view["height"], (box, view)  # scrolled to, in the view
    assert 0 <= box["y"] < reader.viewport_size["height"], box  # and on the screen
    reader.screenshot(path=str(ARTIFACTS / "report-view.png"))


def test_a_reload_keeps_the_conversation_and_a_new_one_starts_empty(reader):
    from bot.prompts import UI

    before, follow = conversation_shown(reader), suggestions_shown(reader)
    assert len(before) == 2
    reader.reload()
    reader.wait_for_selector("#question textarea", timeout=60_000)
    reader.wait_for_function("document.querySelectorAll('#chat [data-testid=\"bot\"]').length === 1",
                             timeout=30_000)
    assert conversation_shown(reader) == before
    assert 'id="source-1"' in reader.inner_html("#sources") and suggestions_shown(reader) == follow
    reader.screenshot(path=str(ARTIFACTS / "reloaded.png"), full_page=True)
    reader.click("#export")  # the restored conversation exports as the answered one did
    link = reader.wait_for_selector("#export-file a[href*='conversation']", timeout=30_000)
    href = link.get_attribute("href")
    body = urllib.request.urlopen(href if href.startswith("http") else reader.url + href.lstrip("/")).read().decode()
    assert "## 1. " + before[0].strip() in body and "> " in body

    reader.click("#new-conversation")
    reader.wait_for_function("document.querySelectorAll('#chat [data-testid=\"bot\"]').length === 0")
    reader.wait_for_selector("#overview", state="visible")
    assert UI["suggested"]["fr"] in reader.inner_text("#suggested") and len(suggestions_shown(reader)) == 3
    reader.reload()
    reader.wait_for_selector("#question textarea", timeout=60_000)
    reader.wait_for_selector("#overview", state="visible")
    time.sleep(2)  # a conversation restored would be back by now
    assert conversation_shown(reader) == []


def test_a_phone_width_screen_stays_usable(playwright, app_url):
    from bot.prompts import NOT_COVERED

    browser, page = browser_page(playwright, app_url[0], width=390, height=844)
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the screen
        for selector in ("#overview", "#suggestion-0", "#question textarea", "#send"):
            box = page.locator(selector).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (selector, box)
        page.screenshot(path=str(ARTIFACTS / "narrow-first-screen.png"), full_page=True)
        page.click("#suggestion-1")
        page.wait_for_function(
            "document.querySelectorAll('#chat [data-testid=\"bot\"]').length === 1"
            " && document.querySelector('#status').innerText.includes('Réponse en')", timeout=240_000)
        answer = page.locator("#chat [data-testid='bot']").last.inner_text()
        assert NOT_COVERED["fr"] not in answer and "[1]" in answer, answer
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert page.locator("#sources .source").first.bounding_box()["width"] <= 390
        page.screenshot(path=str(ARTIFACTS / "narrow-answer.png"), full_page=True)
    finally:
        browser.close()


def test_missing_models_are_explained_in_the_page(tmp_path, playwright):
    with serve(tmp_path, BOT_CACHE_DIR=str(tmp_path / "empty-cache")) as url:
        browser, page = browser_page(playwright, url)
        page.wait_for_function("document.querySelector('#models-status')?.innerText.includes('make setup')",
                               timeout=30_000)
        assert "Traceback" not in page.content()
        page.fill("#question textarea", "Quelle est la taille du marché ?")
        page.click("#send")
        page.wait_for_function("document.querySelector('#status').innerText.includes('make setup')", timeout=30_000)
        browser.close()


def test_the_page_says_the_models_are_loading_and_a_question_sent_meanwhile_is_answered(playwright, tmp_path):
    """In an app of this process whose models load when the test says: the page is there first."""
    from bot.prompts import UI
    from fakes import AnswerKey
    from test_loading import GatedLoad

    replies = {q: f"{g.reference} [1]" for q, g in gold_by_question().items()}
    load = GatedLoad()
    with apps_in_process(tmp_path, lambda: AnswerKey(replies)) as start:
        url, load.loaded = start(load=load, page_first=True)
        browser, page = browser_page(playwright, url)
        try:
            page.wait_for_function("(text) => document.querySelector('#models-status')?.innerText.includes(text)",
                                   arg=UI["loading_models"]["fr"], timeout=10_000)
            assert "Ce que couvre le rapport" in page.inner_text("#overview")  # the report's contents already
            page.fill("#question textarea", MARKET)
            page.click("#send")
            page.wait_for_function("(text) => document.querySelector('#status').innerText.includes(text)",
                                   arg=UI["loading"]["fr"], timeout=10_000)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "loading.png"), full_page=True)
            load.gate.set()
            page.wait_for_function("document.querySelector('#status').innerText.includes('Réponse en')",
                                   timeout=60_000)
            assert "16.02" in page.locator("#chat [data-testid='bot']").last.inner_text()
            page.wait_for_selector("#models-status", state="hidden", timeout=10_000)  # cleared once loaded
        finally:
            load.gate.set()
            browser.close()


# The report beside the chat, in an app of this process with the stand-in model over the report and a second
# document: [n] opens its passage with the supporting sentence highlighted, in English on demand, in its
# document; the conversation exports as a PDF.

NOTES = "notes-marche.md"
MARKET = "What is China's AI healthcare market projected to be worth by 2028?"
DEVICES = "Combien de dispositifs médicaux d'IA de classe III"


def in_english(line: str) -> str:
    return f"In English: {line}"


@pytest.fixture(scope="module")
def reading(playwright, tmp_path_factory):
    """(page, renderings, chunks by id): the app answering with the gold references."""
    from bot.renderings import Renderings, line_key
    from fakes import AnswerKey

    replies = {q: f"{g.reference} [1]" for q, g in gold_by_question().items()}
    lines = {line.strip() for line in (ROOT / "corpus" / "ia-sante-chine-partie-2.txt").read_text("utf-8").splitlines()}
    renderings = Renderings({line_key(line, "stand-in"): in_english(line) for line in lines if line}, "stand-in")
    notes = "# Notes de lecture\n\nUne note brève sur la télémédecine rurale, pour une seconde lecture du marché.\n"
    with apps_in_process(tmp_path_factory.mktemp("reading"), lambda: AnswerKey(replies), {NOTES: notes}) as start:
        url, pipeline = start(renderings=renderings)
        browser, page = browser_page(playwright, url)
        yield page, renderings, {c.id: c for c in pipeline.retriever.index.chunks}
        browser.close()


def citation(page, answer: int):
    """The first [n] link of the chat's answer number `answer` (0: the first), its n, and the passage id and
    sentence the page was given for it, counted back from the last answer."""
    answers = page.locator("#chat [data-testid='bot']")
    link = answers.nth(answer).locator("a[href^='#source-']").first
    n = link.get_attribute("href").removeprefix("#source-")
    entry = page.locator(f"#sources .citation-map [data-back='{answers.count() - 1 - answer}'] [data-n='{n}']")
    return link, n, entry.get_attribute("data-chunk"), entry.text_content()


def opened(page, chunk: str) -> None:
    page.wait_for_function("(id) => [...document.querySelectorAll('#report .outlined')].length > 0 && [...document"
                           ".querySelectorAll('#report .outlined')].every((b) => b.dataset.chunks.split(' ')"
                           ".includes(id))", arg=chunk, timeout=10_000)


def test_a_citation_in_an_answer_opens_its_passage_with_the_supporting_sentence(reading):
    page, _, chunks = reading
    ask(page, MARKET, "Réponse en")
    link, n, chunk, sentence = citation(page, 0)
    assert chunk == page.locator(f"#sources #source-{n}").get_attribute("data-chunk")
    assert sentence and sentence in chunks[chunk].text and page.inner_text(f"#sources #source-{n} mark") == sentence
    assert not page.evaluate("document.querySelector('#report details').open")
    link.click()
    page.wait_for_function("document.querySelector('#report details').open", timeout=10_000)
    opened(page, chunk)
    mark = page.locator("#report .outlined mark.support")
    assert mark.count() == 1 and len(mark.inner_text()) > 20 and mark.inner_text() in sentence
    assert "#" not in page.url  # the page did not jump to the card: the report view was opened
    page.wait_for_timeout(500)  # the scroll
    box, view = mark.bounding_box(), page.locator("#report .report-body").bounding_box()
    assert view["y"] - 1 <= box["y"] < view["y"] + view["height"], (box, view)
    assert 0 <= box["y"] < page.viewport_size["height"], box
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "citation-in-report.png"))


def test_each_answer_s_citation_opens_its_own_passage(reading):
    page, _, _ = reading
    devices = next(q for q in gold_by_question() if q.startswith(DEVICES))
    ask(page, devices, "Réponse en")
    (first, _, market, _), (second, _, devices_chunk, sentence) = citation(page, 0), citation(page, 1)
    assert market != devices_chunk
    first.click()
    opened(page, market)
    second.click()
    opened(page, devices_chunk)
    assert page.locator("#report .outlined mark.support").inner_text() in sentence


def test_the_outlined_passage_switches_to_english_and_back(reading):
    from bot.prompts import UI

    page, renderings, chunks = reading
    link, _, chunk, _ = citation(page, 1)
    link.click()
    opened(page, chunk)
    toggle = page.locator("#report .english-toggle")
    assert toggle.is_visible() and toggle.inner_text() == UI["to_english"]["fr"]
    french = page.locator("#report .outlined").first.inner_text()
    toggle.click()
    rendering = page.locator("#report .english-rendering")
    rendering.wait_for(timeout=5_000)
    assert rendering.inner_text().split() == renderings.english(chunks[chunk]).split()
    assert rendering.inner_text().startswith("In English: ")
    assert not page.locator("#report .outlined").first.is_visible()
    assert toggle.inner_text() == UI["to_french"]["fr"]
    page.screenshot(path=str(ARTIFACTS / "report-in-english.png"))
    toggle.click()
    assert rendering.count() == 0 and page.locator("#report .outlined").first.inner_text() == french
    assert toggle.inner_text() == UI["to_english"]["fr"]


def test_the_document_picker_lists_the_documents_and_a_citation_goes_back_to_its_own(reading):
    page, _, _ = reading
    picker = page.locator("#report .document-picker")
    report, notes = (page.locator(f"#report .report-document[data-source='{name}']")
                     for name in ("ia-sante-chine-partie-2.txt", NOTES))
    assert picker.locator("option").all_inner_texts() == ["ia-sante-chine-partie-2.txt", NOTES]
    toggle = page.locator("#report .english-toggle")
    picker.select_option(NOTES)
    assert notes.is_visible() and not report.is_visible() and "Notes de lecture" in notes.inner_text()
    assert not toggle.is_visible()  # the outlined passage is not on the screen
    page.screenshot(path=str(ARTIFACTS / "report-picker.png"))
    link, _, chunk, _ = citation(page, 0)
    link.click()
    opened(page, chunk)
    assert picker.input_value() == "ia-sante-chine-partie-2.txt" and report.is_visible() and not notes.is_visible()
    assert toggle.is_visible()


def test_a_source_card_marks_the_same_sentence_in_the_report(reading):
    page, _, _ = reading
    card = page.locator("#sources .source[data-chunk]").first
    card.locator(".head").click()
    opened(page, card.get_attribute("data-chunk"))
    assert page.locator("#report .outlined mark.support").inner_text() in card.locator("mark").inner_text()


def test_the_conversation_exports_as_a_pdf_with_its_citations_as_footnotes(reading):
    import io

    from pypdf import PdfReader

    page, _, chunks = reading
    _, _, chunk, _ = citation(page, 0)
    page.click("#export-pdf")
    link = page.wait_for_selector("#export-pdf-file a[href*='conversation']", timeout=30_000)
    href = link.get_attribute("href")
    data = urllib.request.urlopen(href if href.startswith("http") else page.url + href.lstrip("/")).read()
    assert data.startswith(b"%PDF-")
    (ARTIFACTS / "conversation.pdf").write_bytes(data)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())
    assert "1. What is China" in text and "2. Combien de dispositifs médicaux" in text
    assert f"1. {chunks[chunk].location} — ia-sante-chine-partie-2.txt" in text and "2. " in text
    page.screenshot(path=str(ARTIFACTS / "pdf-export.png"))
