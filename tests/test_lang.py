"""Language detection: langdetect (seeded) plus the fallbacks for short or ambiguous text."""
import pytest

from bot.lang import detect_language


@pytest.mark.parametrize("text,expected", [
    ("Quelle est la taille du marché de l'IA en santé en Chine en 2030 ?", "fr"),
    ("Quels sont les principaux obstacles réglementaires ?", "fr"),
    ("What are the main regulatory barriers for foreign companies?", "en"),
    ("Which companies lead telemedicine in rural China?", "en"),
    ("How big is the market?", "en"),
    ("Combien d'hôpitaux ?", "fr"),
    ("Et en 2030 ?", "fr"),
    ("And in 2030?", "en"),
    # names are in neither language: the question's own words decide
    ("Qui dirige Ping An Good Doctor ?", "fr"),
    ("Who heads Ping An Good Doctor?", "en"),
    ("Est-ce Philips qui a investi dans des moteurs avancés de nettoyage de données ?", "fr"),
    ("Was it Yitu Technology that set up secure data centres in China?", "en"),
])
def test_detects_french_and_english(text, expected):
    assert detect_language(text) == expected


def test_unclear_text_follows_the_conversation_then_the_default():
    assert detect_language("2030 ?", previous="en") == "en"
    assert detect_language("Infervision", previous="fr") == "fr"
    assert detect_language("NMPA") == "en" and detect_language("PIPL?") == "en"
    assert detect_language("NMPA", default="fr") == "fr"
    assert detect_language("NMPA ?") == "fr"  # French typography
    assert detect_language("NMPA ?", previous="en") == "en"  # the conversation's language first
    assert detect_language("2030年中国医疗人工智能市场规模预计是多少？") == "en"


def test_is_deterministic():
    text = "Hainan Boao Lecheng pilot zone"
    assert len({detect_language(text) for _ in range(20)}) == 1
