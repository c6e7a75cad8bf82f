"""Settings: every bound on cost has a default and an environment variable; a bad value is a clear error."""
import pytest

from bot.config import Settings, load_settings
from bot.errors import BotError


def test_every_bound_has_a_sane_default():
    s = load_settings({})
    assert (s.max_question_chars, s.history_turns, s.history_chars, s.max_answer_tokens) == (1000, 2, 600, 220)
    assert (s.max_answer_seconds, s.concurrency, s.max_queue) == (60.0, 1, 16)
    assert (s.max_request_bytes, s.max_exchanges, s.max_sessions) == (1_000_000, 50, 1000)


def test_every_bound_is_read_from_its_variable():
    env = {"BOT_MAX_QUESTION_CHARS": "200", "BOT_HISTORY_TURNS": "0", "BOT_HISTORY_CHARS": "100",
           "BOT_MAX_ANSWER_TOKENS": "32", "BOT_MAX_ANSWER_SECONDS": "2.5", "BOT_MAX_QUEUE": "2",
           "BOT_MAX_REQUEST_BYTES": "5000", "BOT_MAX_EXCHANGES": "3", "BOT_MAX_SESSIONS": "10"}
    assert load_settings(env) == Settings(max_question_chars=200, history_turns=0, history_chars=100,
                                          max_answer_tokens=32, max_answer_seconds=2.5, max_queue=2,
                                          max_request_bytes=5000, max_exchanges=3, max_sessions=10)


@pytest.mark.parametrize("var, value", [("BOT_MAX_QUEUE", "0"), ("BOT_MAX_ANSWER_SECONDS", "-1"),
                                        ("BOT_MAX_ANSWER_SECONDS", "nan"), ("BOT_MAX_REQUEST_BYTES", "1MB"),
                                        ("BOT_HISTORY_TURNS", "-2"), ("BOT_MAX_EXCHANGES", "0")])
def test_a_bound_that_is_not_a_positive_number_is_refused(var, value):
    with pytest.raises(BotError, match=var):
        load_settings({var: value})


def test_several_questions_at_once_need_a_generation_server():
    with pytest.raises(BotError, match="BOT_CONCURRENCY=4 needs BOT_LLM_URL"):
        load_settings({"BOT_CONCURRENCY": "4"})
    with pytest.raises(BotError, match="BOT_CONCURRENCY"):
        load_settings({"BOT_CONCURRENCY": "0", "BOT_LLM_URL": "http://127.0.0.1:8080/v1"})
    assert load_settings({"BOT_CONCURRENCY": "4", "BOT_LLM_URL": "http://127.0.0.1:8080/v1"}).concurrency == 4


def test_the_servers_prompt_cache_is_shared_up_to_the_system_prompt_unless_told():
    assert load_settings({}).llm_cache == "system"
    assert load_settings({"BOT_LLM_CACHE": "longest"}).llm_cache == "longest"
    with pytest.raises(BotError, match="BOT_LLM_CACHE must be system or longest"):
        load_settings({"BOT_LLM_CACHE": "all"})


def test_the_read_margin_is_read_and_checked():
    assert load_settings({}).read_margin == 0.12
    assert load_settings({"BOT_READ_MARGIN": "1"}).read_margin == 1.0
    for bad in ("-0.1", "nan"):
        with pytest.raises(BotError, match="BOT_READ_MARGIN must be 0 or more"):
            load_settings({"BOT_READ_MARGIN": bad})


def test_the_saved_prompt_starts_bound_is_read_and_checked():
    assert load_settings({}).saved_prefixes == 200
    assert load_settings({"BOT_SAVED_PREFIXES": "0"}).saved_prefixes == 0
    with pytest.raises(BotError, match="BOT_SAVED_PREFIXES must be 0 or more"):
        load_settings({"BOT_SAVED_PREFIXES": "-1"})
    with pytest.raises(BotError, match="not a valid int"):
        load_settings({"BOT_SAVED_PREFIXES": "many"})
