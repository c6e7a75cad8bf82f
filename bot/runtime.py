"""Build the real pipeline from settings: verify models, load them once, load (or rebuild) the index; what the
page shows before the models are loaded."""
from __future__ import annotations

from typing import TYPE_CHECKING

from bot.config import Settings
from bot.contents import Contents
from bot.embed import SentenceTransformerEmbedder
from bot.errors import IndexStateError
from bot.generate import Generator, LlamaGenerator
from bot.index import load_index, load_or_build
from bot.models import EMBEDDER, GENERATORS, check_model
from bot.prefixes import PrefixStore, prefix_folder
from bot.prompts import SYSTEM
from bot.remote import RemoteGenerator
from bot.renderings import RENDERER, load as load_renderings

if TYPE_CHECKING:  # `serve` reads the page's contents before the pipeline's modules are needed
    from bot.pipeline import Pipeline


def embedder_id() -> str:
    return f"{EMBEDDER.key}@{EMBEDDER.weights_sha256[:12]}"


def load_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    folder = check_model(EMBEDDER, settings.cache_dir)
    return SentenceTransformerEmbedder(folder, embedder_id(), bf16=settings.embed_bf16, threads=settings.threads)


def load_generator(settings: Settings) -> Generator:
    """Each generation is ended past `max_answer_seconds` (`ask`, `eval`, the soak). The chat's and the
    API's runner also ends a whole question past the same limit, counted from when it got the model,
    before any generation starts: it is reached first, and either way the reader is told the same."""
    spec = GENERATORS[settings.generator]
    limit = settings.max_answer_seconds
    if settings.llm_url:  # an OpenAI-compatible server generates: nothing to load here
        name = f"{settings.llm_model or spec.label} (server)"
        return RemoteGenerator(settings.llm_url, settings.llm_model or spec.key, name, settings.llm_api_key,
                               settings.llm_connect_seconds, settings.llm_read_seconds, time_limit=limit,
                               system_prefix_only=settings.llm_cache == "system")
    path = check_model(spec, settings.cache_dir)
    prefixes = PrefixStore(prefix_folder(settings.cache_dir, spec, settings.threads, settings.context_tokens),
                           settings.saved_prefixes) if settings.saved_prefixes else None
    return LlamaGenerator(path, spec.label, settings.threads, settings.context_tokens, system=SYSTEM,
                          time_limit=limit, prefixes=prefixes)


def load_pipeline(settings: Settings, embedder=None, generator=None) -> Pipeline:
    """Models may be passed in to share them between pipelines (evaluation ablations)."""
    from bot.pipeline import Pipeline  # imported with the models, behind the page (see above)
    from bot.retrieve import Retriever

    embedder = embedder or load_embedder(settings)
    generator = generator or load_generator(settings)
    index = load_or_build(settings, embedder)
    retriever = Retriever(index, embedder, settings.retrieval, settings.rrf_k)
    renderings = load_renderings(settings.renderings_path, GENERATORS[RENDERER].sha256)
    return Pipeline(settings, embedder, retriever, generator, renderings)


def read_contents(settings: Settings) -> Contents | None:
    """What the page shows, read from the index on disk without loading a model; None when the index cannot
    serve as it is (missing, stale, damaged): the embedder must then rebuild it first."""
    try:
        index = load_index(settings, embedder_id())
    except IndexStateError:
        return None
    renderings = load_renderings(settings.renderings_path, GENERATORS[RENDERER].sha256)
    return Contents.read(settings, index.chunks, renderings)
