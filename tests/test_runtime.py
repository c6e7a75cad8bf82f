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


def test_the_in_process_generator_saves_prompt_starts_up_to_the_bound_or_none(monkeypatch, tmp_path):
    monkeypatch.setattr(runtime, "check_model", lambda spec, cache_dir: tmp_path / spec.key)
    monkeypatch.setattr(runtime, "LlamaGenerator", Recorded)
    store = runtime.load_generator(load_settings({"BOT_CACHE_DIR": str(tmp_path), "BOT_SAVED_PREFIXES": "5"}))
    store = store.kwargs["prefixes"]
    assert store.limit == 5 and store.folder.parent == tmp_path / "prefixes"
    assert runtime.load_generator(load_settings({"BOT_SAVED_PREFIXES": "0"})).kwargs["prefixes"] is None


def test_a_generation_server_is_given_the_answer_time_limit():
    settings = load_settings({"BOT_MAX_ANSWER_SECONDS": "7.5", "BOT_LLM_URL": "http://127.0.0.1:9/v1"})
    assert runtime.load_generator(settings).time_limit == 7.5


def test_the_page_s_contents_are_read_from_the_index_on_disk_without_a_model(settings, monkeypatch):
    from bot.index import build_index

    from fakes import HashEmbedder

    assert runtime.read_contents(settings) is None  # no index yet: the models must build it first
    index = build_index(settings, HashEmbedder())
    assert runtime.read_contents(settings) is None  # built by another embedder: to be rebuilt
    monkeypatch.setattr(runtime, "embedder_id", lambda: HashEmbedder.id)  # as if the real one had built it
    monkeypatch.setattr(runtime, "load_embedder", None)  # and nothing loads a model
    contents = runtime.read_contents(settings)
    assert contents.chunks == index.chunks and contents.by_id[index.chunks[0].id] == index.chunks[0]
    assert [d.source for d in contents.documents] == ["ia-sante-chine-partie-2.txt"]
    assert contents.guide.sections and contents.guide.suggestions
