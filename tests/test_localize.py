"""Figures and report terms written the reader's way, by code."""
import pytest

from bot.localize import localize
from bot.normalize import figures


@pytest.mark.parametrize("text,english", [
    ("16,02 milliards of dollars US [1].", "US$16.02 billion [1]."),
    ("Le marché atteindra 18,88 milliards de dollars US.", "Le marché atteindra US$18.88 billion."),
    ("It was worth 1,59 milliard de dollars US in 2023.", "It was worth US$1.59 billion in 2023."),
    ("USD 16.02 billion", "US$16.02 billion"),
    ("from $1.59 billion US in 2023 to the US market", "from US$1.59 billion in 2023 to the US market"),
    ("a CAGR of 42,5 %", "a CAGR of 42.5%"),
    ("its 38 000+ public hospitals", "its 38,000+ public hospitals"),
    ("a TCAC of 42.5% in the ZFE", "a CAGR of 42.5% in the FTZ"),
    ("a marque blanche model", "a white-label model"),
    ("US$18.88 billion d'ici 2030 [1].", "US$18.88 billion by 2030 [1]."),
    ("1,59 milliard de dollars US en 2023", "US$1.59 billion in 2023"),
    ("The Personal Information Protection Law requires local storage [1].",
     "The Personal Information Protection Law (PIPL) requires local storage [1]."),
    ("The PIPL (Personal Information Protection Law) applies [1].", "The PIPL (Personal Information Protection Law) applies [1]."),
    ("92 devices by mid-2024, 100 hospitals", "92 devices by mid-2024, 100 hospitals"),
])
def test_english_figures_and_terms(text, english):
    assert localize(text, "en") == english
    assert figures(localize(text, "en").replace("US$", "")) == figures(text.replace("US$", "").replace("USD", ""))


@pytest.mark.parametrize("text,french", [
    ("US$16.02 billion [1].", "16,02 milliards de dollars US [1]."),
    ("16.02 billion US dollars", "16,02 milliards de dollars US"),
    ("US$1.59 billion", "1,59 milliard de dollars US"),
    ("un TCAC de 42.5%", "un TCAC de 42,5 %"),
    ("38,000+ hôpitaux", "38 000+ hôpitaux"),
    ("16,02 milliards de dollars US d'ici 2028", "16,02 milliards de dollars US d'ici 2028"),
])
def test_french_figures(text, french):
    assert localize(text, "fr") == french
