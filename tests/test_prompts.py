"""The messages given to the model: the history it is given back is bounded by the caller's settings."""
from bot.prompts import SYSTEM, build_messages
from bot.types import Turn

HISTORY = [Turn("user", "Quelle est la taille du marché ?"), Turn("assistant", "A" * 900),
           Turn("user", "Et en 2028 ?"), Turn("assistant", "B" * 900)]


def given_back(turns: int, chars: int) -> list[dict[str, str]]:
    messages = build_messages("Et en 2030 ?", "fr", [], HISTORY, turns=turns, chars=chars)
    assert messages[0] == {"role": "system", "content": SYSTEM} and messages[-1]["role"] == "user"
    assert "Et en 2030 ?" in messages[-1]["content"]
    return messages[1:-1]


def test_the_last_turns_are_given_back_each_cut_to_the_bound():
    assert given_back(2, 600) == [{"role": "user", "content": "Et en 2028 ?"},
                                  {"role": "assistant", "content": "B" * 600}]
    assert given_back(3, 10) == [{"role": "assistant", "content": "A" * 10},
                                 {"role": "user", "content": "Et en 2028"},
                                 {"role": "assistant", "content": "B" * 10}]
    assert given_back(10, 2000) == [{"role": t.role, "content": t.content} for t in HISTORY]


def test_no_turn_is_given_back_when_the_bound_is_zero():
    assert given_back(0, 600) == []

