"""The question protocol shared by `ask --jsonl` and the HTTP API: what is read, what is refused and how."""
import json

import pytest

from bot.errors import InputError
from bot.prompts import error_message
from bot.protocol import AskRequest, error_record, parse_json, parse_line
from bot.types import Turn


def test_a_request_is_read_and_cleaned():
    body = json.dumps({"question": " PIPL\u200b ?\n", "language": "en",
                       "history": [{"role": "user", "content": "Taille\x00 du marché ?"},
                                   {"role": "assistant", "content": "18,88 [1]"}]})
    assert parse_json(body) == AskRequest("PIPL ?", [Turn("user", "Taille du marché ?"),
                                                     Turn("assistant", "18,88 [1]")], "en")
    assert parse_json('\ufeff{"question": "x", "history": null, "language": null}') == AskRequest("x", [], None)


@pytest.mark.parametrize("body, key", [
    ('{"question": ', "bad_json"),
    ("PIPL?", "bad_json"),  # a body must be JSON; only a line of `ask --jsonl` may be plain text
    ("", "bad_json"),
    ('["PIPL?"]', "no_question"),
    ('{"question": 12}', "no_question"),
    ('{"history": []}', "no_question"),
    ('{"question": "x", "history": "none"}', "bad_history"),
    ('{"question": "x", "history": [{"role": "system", "content": "y"}]}', "bad_history"),
    ('{"question": "x", "language": "de"}', "bad_language"),
    ('{"question": "x", "history": ' + "[" * 100_000 + "]" * 100_000 + "}", "too_deep"),
])
def test_a_bad_request_is_an_input_error_in_english(body, key):
    with pytest.raises(InputError) as caught:
        parse_json(body)
    expected = error_message(key, "en", detail="")
    assert str(caught.value).startswith(expected.rstrip()) if key == "bad_json" else str(caught.value) == expected


def test_a_plain_line_is_a_question_and_a_json_line_a_request():
    assert parse_line("  Qui domine la télémédecine ?\n") == AskRequest("Qui domine la télémédecine ?", [], None)
    assert parse_line('{"question": "PIPL?", "language": "en"}') == AskRequest("PIPL?", [], "en")
    with pytest.raises(InputError):
        parse_line("{broken")


def test_an_error_object_holds_the_question_and_the_message():
    assert error_record("PIPL?", "busy") == {"question": "PIPL?", "error": "busy"}
