"""The llama.cpp generator's time limit: a generation past it ends at its next token, and the next one is whole."""
import time

import pytest

from bot.errors import BotError, TimeLimitError
from bot.generate import time_limit_error
from bot.prompts import UI


def test_the_time_limit_error_speaks_both_languages_and_is_a_user_error():
    error = time_limit_error(1.5)
    assert isinstance(error, BotError) and error.seconds == 1.5
    assert str(error) == f"{UI['time_limit']['fr'].format(seconds='1.5')} / {UI['time_limit']['en'].format(seconds='1.5')}"


@pytest.mark.integration
def test_a_generation_past_its_limit_is_ended_and_the_next_is_whole():
    from bot.config import load_settings
    from bot.runtime import load_generator

    generator = load_generator(load_settings())
    messages = [{"role": "user", "content": "Count from 1 to 500, one number per line."}]
    short = [{"role": "user", "content": "Say OK."}]
    whole = "".join(generator.stream(short, 8))
    generator.time_limit = 1.0
    started, pieces = time.perf_counter(), []
    with pytest.raises(TimeLimitError):
        for piece in generator.stream(messages, 2000):
            pieces.append(piece)
    # Counting to 500 takes over 1500 tokens (more than a minute and a half): it was ended early. The
    # prompt is read whole first, so the first piece may already come after the limit.
    assert time.perf_counter() - started < 60 and len("".join(pieces).split()) < 400
    generator.time_limit = None
    assert "".join(generator.stream(short, 8)) == whole  # nothing of the ended answer is left behind
