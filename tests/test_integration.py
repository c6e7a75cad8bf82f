"""Real models: questions never seen by the gold set, in both languages, and the JSONL command."""
import json
import subprocess
import sys

import pytest

from bot.config import ROOT
from bot.lang import detect_language
from bot.normalize import canonical
from bot.prompts import NOT_COVERED

pytestmark = pytest.mark.integration

ANSWERABLE = [
    ("fr", "À combien le marché chinois de l'IA médicale est-il projeté pour 2028 ?", ["16,02"]),
    ("fr", "Quelles entreprises chinoises d'imagerie IA s'associent aux hôpitaux et aux groupes pharmaceutiques ?",
     ["Infervision", "Shukun"]),
    ("fr", "Dans quelles villes les institutions médicales entièrement étrangères sont-elles désormais autorisées ?",
     ["Shenzhen"]),
    ("en", "How many AI-powered class III medical devices had the NMPA approved by mid-2024?", ["92"]),
    ("en", "Which company set up secure in-country data processing centres to localise its AI imaging?",
     ["Philips"]),
    ("en", "In how many hospitals is Tencent's cancer screening AI active?", ["100"]),
]
UNANSWERABLE = [
    ("fr", "Quel est le chiffre d'affaires annuel de JD Health ?"),
    ("en", "What is the AI healthcare market size in Brazil?"),
]


@pytest.mark.parametrize("lang,question,facts", ANSWERABLE)
def test_answers_with_the_fact_a_valid_citation_and_the_language(real_pipeline, lang, question, facts):
    answer = real_pipeline.answer(question)
    assert not answer.abstained, answer.text
    for fact in facts:
        assert canonical(fact) in canonical(answer.text), answer.text
    assert answer.language == lang and detect_language(answer.text) == lang, answer.text
    assert answer.citations and answer.dropped_markers == 0
    assert all(f"[{c.n}]" in answer.text for c in answer.citations)
    assert any(all(canonical(f) in canonical(c.chunk.text) for f in facts) for c in answer.citations)
    assert not answer.unsupported_figures


@pytest.mark.parametrize("lang,question", UNANSWERABLE)
def test_declines_what_the_report_does_not_say(real_pipeline, lang, question):
    answer = real_pipeline.answer(question)
    assert answer.abstained and answer.text == NOT_COVERED[lang] and not answer.citations


def test_same_question_same_answer(real_pipeline):
    question = "Quels sont les avantages de la zone Hainan Boao Lecheng pour une entreprise étrangère ?"
    first, second = real_pipeline.answer(question), real_pipeline.answer(question)
    assert first.text == second.text and first.citations == second.citations


def test_ask_jsonl_in_a_real_process():
    lines = [
        "Quelle valorisation le marché avait-il en 2023 ?",
        "",
        json.dumps({"question": "And by 2030?", "history": [
            {"role": "user", "content": "What was the market worth in 2023?"},
            {"role": "assistant", "content": "1.59 billion US dollars."}]}),
    ]
    done = subprocess.run([sys.executable, "-m", "bot", "ask", "--jsonl"], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(records) == 3
    assert records[0]["language"] == "fr" and "1,59" in records[0]["answer"]
    assert records[0]["citations"] and "1,59" in records[0]["citations"][0]["text"]
    assert "error" in records[1]
    assert records[2]["language"] == "en" and canonical("18,88") in canonical(records[2]["answer"])
    assert records[2]["model"].startswith("Qwen2.5")
