"""Text from outside made valid and visible: what is removed, what is kept exactly as written."""
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.sanitize import clean_question, clean_text, valid_text

ORDINARY = [
    "Quelle est la taille du marché de l'IA en santé en Chine en 2030 ?",
    "Quelles sont les barrières à l'entrée\u202f? « Complexité réglementaire », coût élevé.",
    "Le marché atteindra 18,88\u00a0milliards de dollars US d'ici 2030 (38\u202f000 hôpitaux).",
    "Ça coûte combien ? Où ? Œuvre, naïve, Noël, déjà, garçon.",
    "中国医疗人工智能市场规模有多大？",
    "Great report 😀👍🏽 🇫🇷 👩\u200d💻 ❤\ufe0f\u200d🔥",
    "What are the main barriers to entry?\nList them.\n\nThen the solutions.",
    "<script>alert(1)</script> '; DROP TABLE users; --",
    "مرحبا — Привет — שלום — नमस्ते",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_kept_exactly(text):
    assert clean_text(text) == text


def test_a_question_becomes_one_line():
    assert clean_question(ORDINARY[6]) == "What are the main barriers to entry? List them. Then the solutions."
    assert clean_question(ORDINARY[0]) == ORDINARY[0]


def test_lone_surrogates_and_undecodable_bytes_become_the_replacement_character():
    assert clean_text("caf\udce9") == "caf\ufffd"  # b"caf\xe9" decoded with surrogateescape
    assert clean_text("a\ud800b\udfffc") == "a\ufffdb\ufffdc"
    assert clean_text(b"Taille \xff\xfe du march\xc3\xa9".decode("utf-8", "surrogateescape")) \
        == "Taille \ufffd\ufffd du marché"
    assert clean_text("\ud83d\ude00") == "😀"  # a pair written as two code points is one character
    assert valid_text("x\udc80y").encode("utf-8") == "x\ufffdy".encode()


def test_controls_are_removed_and_line_breaks_unified():
    assert clean_text("a\x00b\x07c\x1bd\x7fe\x9bf") == "abcdef"
    assert clean_text("one\r\ntwo\rthree\x85four\u2028five") == "one\ntwo\nthree\nfour\nfive"
    assert clean_text("tab\tseparated") == "tab separated"


@pytest.mark.parametrize("hidden", ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c",
                                    "\u202d", "\u202e", "\u2060", "\u2063", "\u2066", "\u2067", "\u2068", "\u2069",
                                    "\ufeff", "\U000e0041"])
def test_zero_width_bidi_and_tag_characters_are_removed(hidden):
    assert clean_text(f"{hidden}Quel{hidden}le est la taille {hidden}?{hidden}") == "Quelle est la taille ?"


def test_a_joiner_only_stays_inside_an_emoji():
    assert clean_text("👩\u200d💻") == "👩\u200d💻"
    assert clean_text("in\u200dvisible 😀\u200d") == "invisible 😀"


def test_unicode_is_composed_and_whitespace_collapsed():
    assert clean_text("e\u0301te\u0301") == "été"
    assert clean_text("  a   b \t c  ") == "a b c"
    assert clean_text("a \n \n \n b\n   c") == "a\n\nb\nc"
    assert clean_text("a\u00a0\u00a0b") == "a b"  # a run of spaces, whatever they are, is one space
    assert clean_text("\u200b \x00 \u202e") == clean_question("\n\t\n") == ""


REMOVED = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2069\ufeff"
                     "\U000e0000-\U000e007f\ud800-\udfff]")


# Any character, lone surrogates included, with the troublesome ones drawn more often than by chance.
CHARACTERS = st.characters() | st.integers(0xD800, 0xDFFF).map(chr) | st.sampled_from(
    list("\x00\t\n\r\x0b\x85\x9b \u00a0\u202f\u200b\u200d\u202e\u2066\ufeff\ufe0f\u0301\u2028😀👩e?"))


@settings(max_examples=300, deadline=None)
@given(st.text(CHARACTERS) | st.binary().map(lambda b: b.decode("utf-8", "surrogateescape")))
def test_any_text_comes_out_valid_visible_tidy_and_stable(text):
    cleaned = clean_text(text)
    cleaned.encode("utf-8")  # raises on a lone surrogate
    assert not REMOVED.search(cleaned)
    assert cleaned == cleaned.strip() and unicodedata.is_normalized("NFC", cleaned)
    assert not re.search(r"\s\s", cleaned.replace("\n\n", "\n"))
    assert clean_text(cleaned) == cleaned
    question = clean_question(text)
    assert "\n" not in question and clean_question(question) == question
