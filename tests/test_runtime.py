"""Wiring the real models from settings: every generator is given the answer time limit."""
from pathlib import Path

from bot import runtime
from bot.config import load_settings


class Recorded:
    """Stands for LlamaGenerator (loading the real model is for the integration tests): keeps its arguments."""

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs


def test_the_in_process_generator_is_given_the_answer_time_limit(monkeypatch, tmp_path):
    monkeypatch.setattr(runtime, "check_model", lambda spec, cache_dir: tmp_path / spec.key)
    monkeypatch.setattr(runtime, "LlamaGenerator", Recorded)
    settings = load_settings({"BOT_MAX_ANSWER_SECONDS": "7.5"})
    generator = runtime.load_generator(settings)
    assert generator.kwargs["time_limit"] == 7.5
    assert isinstance(generator.args[0], Path) and generator.args[1:] == (
        runtime.GENERATORS[settings.generator].label, settings.threads, settings.context_tokens)


def test_a_generation_server_is_given_the_answer_time_limit():
    settings = load_settings({"BOT_MAX_ANSWER_SECONDS": "7.5", "BOT_LLM_URL": "http://127.0.0.1:9/v1"})
    assert runtime.load_generator(settings).time_limit == 7.5
