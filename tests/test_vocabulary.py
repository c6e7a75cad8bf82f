"""A name a question gives that holds a word the report never uses (in French, in its English renderings or in
the glossary) is one the report never mentions."""
import pytest

from bot.chunk import chunk_corpus
from bot.config import load_settings
from bot.ingest import load_corpus
from bot.models import GENERATORS
from bot.renderings import RENDERER, load
from bot.vocabulary import unknown_names, vocabulary

from conftest import REPORT

SETTINGS = load_settings({})
CHUNKS = chunk_corpus(load_corpus(REPORT.parent), 700)
WORDS = vocabulary([*(c.text for c in CHUNKS), *load(SETTINGS.renderings_path, GENERATORS[RENDERER].sha256)
                    .lines.values()])


@pytest.mark.parametrize("question,unknown", [
    ("What does the report say about MedAI Shenzhen's partnership with Ruijin Hospital?",
     ["MedAI Shenzhen", "Ruijin Hospital"]),
    ("Le rapport cite-t-il Huawei ou Alibaba Cloud ?", ["Huawei", "Alibaba Cloud"]),
    ("Et Macao ?", ["Macao"]),
    ("Que dit le rapport de L'Oréal ?", ["L'Oréal"]),
])
def test_a_name_holding_a_word_the_report_never_uses_is_unknown(question, unknown):
    assert unknown_names(question, WORDS) == unknown


@pytest.mark.parametrize("question", [
    "What does Tencent's cancer screening AI do?",  # a possessive
    "Which Alibaba Health service widens rural access?",  # a glossary spelling of AliHealth
    "What does the report say about the Greater Bay Area and Beijing?",  # English renderings of Grande Baie, Pékin
    "Who is the CEO of Yitu Technology?",  # a title
    "Summarize the report's advice for a small foreign startup.",  # a first word a dictionary knows
    "Quels outils d'Infervision sont largement déployés ?",
    "How do Western firms enter China?",
])
def test_the_names_the_report_uses_in_either_language_are_known(question):
    assert unknown_names(question, WORDS) == []
