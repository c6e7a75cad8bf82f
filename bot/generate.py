"""Generator protocol and the llama.cpp implementation (greedy, streaming)."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bot.errors import TimeLimitError
from bot.prompts import UI, lead

if TYPE_CHECKING:
    from bot.prefixes import PrefixStore


class Generator(Protocol):
    name: str

    def stream(self, messages: list[dict[str, str]], max_tokens: int) -> Iterator[str]:
        """Yield the answer's text piece by piece; closing the iterator stops generation."""
        ...


@dataclass(frozen=True)
class Generation:
    """One generation, timed (the benchmark's unit): its prompt, when its first token came, how fast the rest."""

    text: str
    prompt_tokens: int
    read_tokens: int  # of the prompt, those computed (not kept in llama.cpp's cache from before)
    first_token_s: float  # from the call to the first token: the prompt read, and one token decoded
    tokens: int  # generated
    decode_s: float  # from the first token to the last

    @property
    def decoded(self) -> int:
        """The tokens whose time decode_s holds: all but the first."""
        return max(0, self.tokens - 1)


class LlamaGenerator:
    """A GGUF chat model run by llama-cpp-python; loaded once, reused for every question.

    The system prompt, the same for every answer, is computed once and kept; each prompt is then read
    from the end of it. Whatever the previous question was, the same prompt is thus computed the same
    way and gets the same answer (llama.cpp would otherwise reuse the longest cached prefix, and a
    different split of the work can change a greedy answer). It is computed as the start of the
    `primer` messages, as RemoteGenerator has a server compute it: llama.cpp's results depend on the
    batch a token is computed in, so this is what makes a server's answers the in-process ones.
    Then, for a question's prompt, its `lead` (the system prompt and passage [1]) is computed in one batch
    as the start of the lead's own prompt, as RemoteGenerator has a server compute it too; with `prefixes`,
    the state it leaves is saved the first time and loaded every other time (about 20 ms instead of
    reading passage [1]), and the rest of the prompt is read from there.
    A second draft of the same answer (its prompt the previous one with a hint added, see `continues`)
    is read on from the previous prompt instead, which llama.cpp's cache still holds: only the hint is
    computed. It always follows the same first draft, so it too is computed the same way every time.

    With `time_limit`, a generation still running after that many seconds is ended at its next
    token with a TimeLimitError (reading the prompt cannot be interrupted: it is bounded by the
    context size).

    The weights are read into memory, not mapped: llama.cpp copies most of them into a layout repacked
    for this CPU, and a mapping would keep the file's pages resident beside that copy (about 600 MB more
    resident memory, for the same answers)."""

    def __init__(self, model_path: Path, name: str, threads: int, context_tokens: int, system: str = "",
                 time_limit: float | None = None, prefixes: PrefixStore | None = None):
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self.name = name
        self.time_limit = time_limit
        self.prefixes = prefixes
        self._llm = Llama(
            model_path=str(model_path), n_ctx=context_tokens, n_threads=threads,
            n_threads_batch=threads, n_batch=512, seed=0, verbose=False, use_mmap=False,
        )
        text = self._llm._model.token_get_text
        self._format = Jinja2ChatFormatter(self._llm.metadata["tokenizer.chat_template"],
                                           eos_token=text(self._llm.token_eos()), bos_token=text(self._llm.token_bos()))
        self._anchor = self._common_prefix(system) if system else []
        self._previous: list[dict[str, str]] | None = None  # the last prompt llama.cpp read whole
        self._primer = self._tokens(primer({"role": "system", "content": system})) if system else []
        if self._primer[:len(self._anchor)] != self._anchor:
            raise RuntimeError(f"{name}'s chat template does not start the primer with the system prompt.")

    def _tokens(self, messages: list[dict[str, str]]) -> list[int]:
        result = self._format(messages=messages)
        return self._llm.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True)

    def _common_prefix(self, system: str) -> list[int]:
        """The tokens every prompt with this system message starts with."""
        a = self._tokens([{"role": "system", "content": system}, {"role": "user", "content": "a"}])
        b = self._tokens([{"role": "system", "content": system}, {"role": "user", "content": "b"}])
        return a[:common_prefix(a, b)]

    def _start_from_anchor(self, messages: list[dict[str, str]]) -> None:
        """Leave in llama.cpp's cache the system prompt alone (computed as the primer's start), or nothing."""
        anchor, llm = self._anchor, self._llm
        if not anchor or self._tokens(messages)[:len(anchor)] != anchor:
            llm.reset()
            return
        if llm.n_tokens < len(anchor) or list(llm.input_ids[:len(anchor)]) != anchor:
            llm.reset()
            llm.eval(self._primer)
        llm.n_tokens = len(anchor)

    def _start(self, messages: list[dict[str, str]]) -> None:
        """Leave in llama.cpp's cache the prompt's lead, loaded or computed (and saved), or else the system prompt."""
        start = lead(messages)
        if start is None:
            self._start_from_anchor(messages)
            return
        tokens = self._tokens(start)
        if self.prefixes is not None and self._restore(tokens):
            return
        self._start_from_anchor(start)
        self._llm.eval(tokens[self._llm.n_tokens:])
        if self.prefixes is not None:
            self.prefixes.save(tokens, self._state())

    def _state(self) -> bytes:
        """llama.cpp's cache as bytes (its one sequence)."""
        import ctypes

        import llama_cpp

        ctx = self._llm._ctx.ctx
        size = llama_cpp.llama_state_seq_get_size(ctx, 0)
        buffer = (ctypes.c_uint8 * size)()
        return bytes(buffer[:llama_cpp.llama_state_seq_get_data(ctx, buffer, size, 0)])

    def _restore(self, tokens: list[int]) -> bool:
        """Load the saved state of these tokens into llama.cpp's cache; False (the cache emptied) if none
        is saved or llama.cpp refuses it."""
        import ctypes

        import llama_cpp

        state, llm = self.prefixes.load(tokens), self._llm
        if not state:
            return False
        # Emptied whole, so that the state fills the cache from its first cell, as computing it does,
        # whatever the previous question left in it.
        llm.reset()
        llm._ctx.kv_cache_clear()
        buffer = (ctypes.c_uint8 * len(state)).from_buffer_copy(state)
        if llama_cpp.llama_state_seq_set_data(llm._ctx.ctx, buffer, len(state), 0) != len(state):
            llm._ctx.kv_cache_clear()
            self.prefixes.drop(tokens)
            return False
        llm.input_ids[:len(tokens)] = tokens
        llm.n_tokens = len(tokens)
        return True

    def save_prefixes(self, leads: list[list[dict[str, str]]],
                      progress: Callable[[int, int], None] = lambda n, total: None) -> int:
        """Compute and save the state of each of these leads not saved yet; how many were."""
        todo = [m for m in leads if self.prefixes is not None and not self.prefixes.has(self._tokens(m))]
        for n, messages in enumerate(todo, 1):
            self._start(messages)
            progress(n, len(todo))
        self._llm.reset()
        self._previous = None
        return len(todo)

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def prompt_size(self, messages: list[dict[str, str]]) -> tuple[int, int]:
        """The prompt's tokens, and how many of them `stream` would compute now: all but the previous
        prompt's for a second draft, all but the system prompt's when llama.cpp's cache holds them."""
        tokens, anchor, llm = self._tokens(messages), self._anchor, self._llm
        if continues(self._previous, messages):
            return len(tokens), len(tokens) - common_prefix(list(llm.input_ids[:llm.n_tokens]), tokens[:-1])
        start = lead(messages)
        saved = self._tokens(start) if start is not None and self.prefixes is not None else []
        if saved and self.prefixes.has(saved):
            return len(tokens), len(tokens) - common_prefix(saved, tokens[:-1])
        held = bool(anchor) and tokens[:len(anchor)] == anchor and llm.n_tokens >= len(anchor) \
            and list(llm.input_ids[:len(anchor)]) == anchor
        return len(tokens), len(tokens) - len(anchor) if held else len(tokens)

    def generate_alone(self, messages: list[dict[str, str]], max_tokens: int) -> Generation:
        """These messages generated by llama.cpp's own token loop, greedy as `stream` samples, from an
        empty cache: no chat wrapper, no kept system prompt, no time limit. The benchmark's reference,
        and its naive configuration's generator."""
        import llama_cpp

        llm = self._llm
        prompt = self._tokens(messages)
        out: list[int] = []
        llm.reset()
        self._previous = None
        start = first = last = time.perf_counter()
        try:
            for token in llm.generate(prompt, top_k=1, top_p=1.0, min_p=0.0, temp=0.0, repeat_penalty=1.0):
                if llama_cpp.llama_vocab_is_eog(llm._model.vocab, token):
                    break
                last = time.perf_counter()
                first = last if not out else first
                out.append(token)
                if len(out) >= max_tokens:
                    break
        finally:
            # The next `stream` computes the system prompt alone again, so its answers stay the same.
            llm.reset()
            free_sampler(llm)
        text = llm.detokenize(out, prev_tokens=prompt).decode("utf-8", errors="replace")
        return Generation(text, len(prompt), len(prompt), first - start, len(out), last - first)

    def stream(self, messages: list[dict[str, str]], max_tokens: int) -> Iterator[str]:
        started = time.monotonic()
        previous, self._previous = self._previous, None
        if not continues(previous, messages):
            self._start(messages)
        # else llama-cpp-python reads on from the longest prefix its cache shares with the prompt
        pieces = self._llm.create_chat_completion(
            messages=messages, temperature=0.0, top_k=1, top_p=1.0, min_p=0.0,
            repeat_penalty=1.0, max_tokens=max_tokens, seed=0, stream=True,
        )
        try:
            for piece in pieces:
                text = piece["choices"][0]["delta"].get("content")
                if text:
                    if self._previous is None:  # llama.cpp's cache holds the whole prompt (as RemoteGenerator)
                        self._previous = [dict(m) for m in messages]  # a copy: the pipeline adds a hint in place
                    yield text
                if self.time_limit is not None and time.monotonic() - started > self.time_limit:
                    raise time_limit_error(self.time_limit)
        finally:
            getattr(pieces, "close", lambda: None)()  # llama.cpp stops now, not when the iterator is collected
            free_sampler(self._llm)


def common_prefix(a: list[int], b: list[int]) -> int:
    """How many tokens a and b start with alike."""
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def continues(previous: list[dict[str, str]] | None, messages: list[dict[str, str]]) -> bool:
    """Whether `messages` is a second draft of the answer `previous` asked for: the same messages, the
    last one (the question's) with more added to its end. Its prompt then starts with the previous
    one's, up to the question's end. A question asked again is not one: it is read from the system
    prompt as the first time, and gets the same answer."""
    return bool(previous) and len(previous) == len(messages) and previous[:-1] == messages[:-1] \
        and messages[-1]["role"] == previous[-1]["role"] == "user" \
        and len(messages[-1]["content"]) > len(previous[-1]["content"]) \
        and messages[-1]["content"].startswith(previous[-1]["content"])


def primer(system: dict[str, str]) -> list[dict[str, str]]:
    """The messages whose prompt computes the system prompt the same way in-process and on a server: the
    system message and an empty user message, whose prompt shares with any question's exactly the system
    prompt's tokens (and the user turn's opening)."""
    return [system, {"role": "user", "content": ""}]


def free_sampler(llm) -> None:
    """Free the sampler llama-cpp-python built for the generation that just ended. It keeps one per
    generation in a reference cycle (its ExitStack's callback holds it), so its native memory, about
    1.7 MB here (a token array the size of the vocabulary), would wait for a full garbage collection;
    with torch's objects loaded these are rare, and the memory grew with every question asked."""
    sampler, llm._sampler = getattr(llm, "_sampler", None), None
    if sampler is not None:
        sampler.close()


def time_limit_error(seconds: float) -> TimeLimitError:
    """An answer ended by its time limit, said in both languages: the generator does not know the reader's."""
    message = " / ".join(UI["time_limit"][lang].format(seconds=f"{seconds:g}") for lang in ("fr", "en"))
    return TimeLimitError(message, seconds)
