"""Folding of case, accents, spaces and number formats."""
from bot.normalize import canonical, figures, fold


def test_fold():
    assert fold("Télémédecine  RURALE’s") == "telemedecine rurale's"


def test_numbers_in_french_and_english_formats_are_equal():
    assert canonical("38 000") == canonical("38,000") == canonical("38000") == canonical("38\u202f000")
    assert canonical("42,5 %") == canonical("42.5 %")
    assert canonical("1 234 567") == "1234567"
    assert canonical("1,59 milliard") == "1.59 milliard"


def test_figures():
    assert figures("De 1,59 milliard en 2023 à 16,02 en 2028 ; 38 000+ hôpitaux") == [
        "1.59", "2023", "16.02", "2028", "38000"]
