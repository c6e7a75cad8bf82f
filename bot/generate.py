"""Generator protocol and the llama.cpp implementation (greedy, streaming)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol


class Generator(Protocol):
    name: str

    def stream(self, messages: list[dict[str, str]], max_tokens: int) -> Iterator[str]:
        """Yield the answer's text piece by piece; closing the iterator stops generation."""
        ...


class LlamaGenerator:
    """A GGUF chat model run by llama-cpp-python; loaded once, reused for every question.
    llama.cpp keeps the previous prompt's computed prefix, so the fixed system prompt is read once."""

    def __init__(self, model_path: Path, name: str, threads: int, context_tokens: int):
        from llama_cpp import Llama

        self.name = name
        self._llm = Llama(
            model_path=str(model_path), n_ctx=context_tokens, n_threads=threads,
            n_threads_batch=threads, n_batch=512, seed=0, verbose=False,
        )

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def stream(self, messages: list[dict[str, str]], max_tokens: int) -> Iterator[str]:
        pieces = self._llm.create_chat_completion(
            messages=messages, temperature=0.0, top_k=1, top_p=1.0, min_p=0.0,
            repeat_penalty=1.0, max_tokens=max_tokens, seed=0, stream=True,
        )
        for piece in pieces:
            text = piece["choices"][0]["delta"].get("content")
            if text:
                yield text
