"""Generator protocol and the llama.cpp implementation (greedy, streaming)."""
from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from bot.errors import TimeLimitError
from bot.prompts import UI


class Generator(Protocol):
    name: str

    def stream(self, messages: list[dict[str, str]], max_tokens: int) -> Iterator[str]:
        """Yield the answer's text piece by piece; closing the iterator stops generation."""
        ...


class LlamaGenerator:
    """A GGUF chat model run by llama-cpp-python; loaded once, reused for every question.

    The system prompt, the same for every answer, is computed once on its own and kept; each prompt
    is then read from the end of it. Whatever the previous question was, the same prompt is thus
    computed the same way and gets the same answer (llama.cpp would otherwise reuse the longest
    cached prefix, and a different split of the work can change a greedy answer).

    With `time_limit`, a generation still running after that many seconds is ended at its next
    token with a TimeLimitError (reading the prompt cannot be interrupted: it is bounded by the
    context size)."""

    def __init__(self, model_path: Path, name: str, threads: int, context_tokens: int, system: str = "",
                 time_limit: float | None = None):
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self.name = name
        self.time_limit = time_limit
        self._llm = Llama(
            model_path=str(model_path), n_ctx=context_tokens, n_threads=threads,
            n_threads_batch=threads, n_batch=512, seed=0, verbose=False,
        )
        text = self._llm._model.token_get_text
        self._format = Jinja2ChatFormatter(self._llm.metadata["tokenizer.chat_template"],
                                           eos_token=text(self._llm.token_eos()), bos_token=text(self._llm.token_bos()))
        self._anchor = self._common_prefix(system) if system else []

    def _tokens(self, messages: list[dict[str, str]]) -> list[int]:
        result = self._format(messages=messages)
        return self._llm.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True)

    def _common_prefix(self, system: str) -> list[int]:
        """The tokens every prompt with this system message starts with."""
        a = self._tokens([{"role": "system", "content": system}, {"role": "user", "content": "a"}])
        b = self._tokens([{"role": "system", "content": system}, {"role": "user", "content": "b"}])
        return a[:next(i for i, (x, y) in enumerate(zip(a, b)) if x != y)]

    def _start_from_anchor(self, messages: list[dict[str, str]]) -> None:
        """Leave in llama.cpp's cache the system prompt alone (computed alone), or nothing."""
        anchor, llm = self._anchor, self._llm
        if not anchor or self._tokens(messages)[:len(anchor)] != anchor:
            llm.reset()
            return
        if llm.n_tokens < len(anchor) or list(llm.input_ids[:len(anchor)]) != anchor:
            llm.reset()
            llm.eval(anchor)
        llm.n_tokens = len(anchor)

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def stream(self, messages: list[dict[str, str]], max_tokens: int) -> Iterator[str]:
        started = time.monotonic()
        self._start_from_anchor(messages)
        pieces = self._llm.create_chat_completion(
            messages=messages, temperature=0.0, top_k=1, top_p=1.0, min_p=0.0,
            repeat_penalty=1.0, max_tokens=max_tokens, seed=0, stream=True,
        )
        try:
            for piece in pieces:
                text = piece["choices"][0]["delta"].get("content")
                if text:
                    yield text
                if self.time_limit is not None and time.monotonic() - started > self.time_limit:
                    raise time_limit_error(self.time_limit)
        finally:
            getattr(pieces, "close", lambda: None)()  # llama.cpp stops now, not when the iterator is collected


def time_limit_error(seconds: float) -> TimeLimitError:
    """An answer ended by its time limit, said in both languages: the generator does not know the reader's."""
    message = " / ".join(UI["time_limit"][lang].format(seconds=f"{seconds:g}") for lang in ("fr", "en"))
    return TimeLimitError(message, seconds)
