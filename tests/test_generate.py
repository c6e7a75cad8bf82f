"""The llama.cpp generator: a generation past its time limit ends at its next token, and the next one is
whole; each generation frees what llama.cpp allocated for it as soon as it ends; a second draft is read on
from its first draft's prompt; the weights are read into memory, not mapped."""
import gc
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.errors import BotError, TimeLimitError
from bot.generate import LlamaGenerator, continues, time_limit_error
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


class _Llama:
    """llama_cpp.Llama as LlamaGenerator drives it: each chat completion builds llama.cpp's sampler (the
    real one) and keeps it on the instance, as llama-cpp-python does."""

    metadata = {"tokenizer.chat_template": "{% for m in messages %}{{ m.content }}\n{% endfor %}"}

    def __init__(self, **kwargs):
        self._model = SimpleNamespace(token_get_text=lambda token: "<s>" if token else "</s>")
        self._sampler = None
        self.samplers = []

    def token_eos(self):
        return 0

    def token_bos(self):
        return 1

    def reset(self):
        self.resets = getattr(self, "resets", 0) + 1

    def create_chat_completion(self, **kwargs):
        from llama_cpp._internals import LlamaSampler

        self._sampler = LlamaSampler()
        self.samplers.append(self._sampler)
        for text in ("Un", " deux", " trois"):
            yield {"choices": [{"delta": {"content": text}}]}


def test_each_generation_frees_its_sampler_when_it_ends(monkeypatch):
    # llama-cpp-python keeps the sampler in a reference cycle: left to the garbage collector, its native
    # memory stayed allocated question after question.
    import llama_cpp

    monkeypatch.setattr(llama_cpp, "Llama", _Llama)
    generator = LlamaGenerator(Path("model.gguf"), "stand-in", threads=1, context_tokens=512)
    messages = [{"role": "user", "content": "Compte jusqu'à trois."}]
    assert "".join(generator.stream(messages, 8)) == "Un deux trois"
    pieces = generator.stream(messages, 8)
    assert next(pieces) == "Un"
    pieces.close()  # a generation stopped early (the reader's Stop, a refusal marker)
    llm = generator._llm
    assert len(llm.samplers) == 2 and llm._sampler is None
    assert all(sampler.sampler is None for sampler in llm.samplers)  # freed in llama.cpp


@pytest.mark.integration
def test_real_generations_leave_no_sampler_allocated():
    from llama_cpp._internals import LlamaSampler

    from bot.config import load_settings
    from bot.runtime import load_generator

    def allocated() -> set[int]:  # samplers still holding llama.cpp memory, this test's or others'
        return {id(o) for o in gc.get_objects() if isinstance(o, LlamaSampler) and o.sampler is not None}

    generator = load_generator(load_settings())
    before = allocated()
    short = [{"role": "user", "content": "Say OK."}]
    for _ in range(3):
        "".join(generator.stream(short, 4))
    generator.generate_alone(short, 4)
    assert generator._llm._sampler is None and not allocated() - before


SYSTEM = {"role": "system", "content": "Réponds avec les passages."}
ASKED = {"role": "user", "content": "Passages: [1] « Le marché atteindra 18,88 milliards. »\nQuestion : 2030 ?"}
HINTED = {"role": "user", "content": ASKED["content"] + "\nRéponds par une phrase complète."}


def test_a_second_draft_is_the_same_messages_with_more_added_to_the_question():
    assert continues([SYSTEM, ASKED], [SYSTEM, HINTED])
    assert not continues(None, [SYSTEM, HINTED]) and not continues([], [SYSTEM, HINTED])
    assert not continues([SYSTEM, ASKED], [SYSTEM, ASKED])  # asked again: read as the first time
    assert not continues([SYSTEM, HINTED], [SYSTEM, ASKED])
    assert not continues([SYSTEM, ASKED], [{"role": "system", "content": "Autre."}, HINTED])
    assert not continues([SYSTEM, ASKED], [SYSTEM, {"role": "assistant", "content": "x"}, HINTED])  # a follow-up
    assert not continues([SYSTEM, ASKED], [SYSTEM, {"role": "user", "content": "Autre question ?"}])


def test_only_a_second_draft_is_read_on_from_the_previous_prompt(monkeypatch):
    """llama.cpp's cache is set back to the system prompt (here, emptied) before any prompt but a second
    draft, which llama-cpp-python then reads on from the longest prefix it shares with the cache."""
    import llama_cpp

    monkeypatch.setattr(llama_cpp, "Llama", _Llama)
    generator = LlamaGenerator(Path("model.gguf"), "stand-in", threads=1, context_tokens=512)
    llm = generator._llm
    messages = [SYSTEM, ASKED]
    "".join(generator.stream(messages, 8))
    assert llm.resets == 1
    messages[-1] = HINTED  # as the pipeline adds its hint: in place
    "".join(generator.stream(messages, 8))
    assert llm.resets == 1
    "".join(generator.stream([SYSTEM, HINTED], 8))  # the same prompt again
    assert llm.resets == 2
    "".join(generator.stream([SYSTEM, ASKED], 8))
    assert llm.resets == 3
    pieces = generator.stream([SYSTEM, HINTED], 8)
    next(pieces)
    assert llm.resets == 3
    pieces.close()


@pytest.mark.integration
def test_a_second_draft_reads_only_its_hint_and_gets_the_same_answer_whatever_came_before():
    from bot.config import ROOT, load_settings
    from bot.prompts import SENTENCE_HINT, SYSTEM as PRODUCT_SYSTEM
    from bot.runtime import load_generator

    generator = load_generator(load_settings())
    report = (ROOT / "corpus" / "ia-sante-chine-partie-2.txt").read_text(encoding="utf-8")
    start = max(0, report.index("18,88") - 600)
    system = {"role": "system", "content": PRODUCT_SYSTEM}
    asked = {"role": "user", "content": f"Passages:\n[1] « {report[start:start + 900]} »\n\n"
                                        "Question: What market size does the report forecast for 2030?\n"
                                        "Answer in English."}
    hinted = {"role": "user", "content": asked["content"] + "\n" + SENTENCE_HINT["en"]}
    other = {"role": "user", "content": "Passages:\n[1] « Le PIPL encadre les données. »\n\nQuestion: PIPL?"}

    "".join(generator.stream([system, asked], 60))
    total, read = generator.prompt_size([system, hinted])
    assert total > 300 and read < 40, (total, read)  # the passages are not read again
    answer = "".join(generator.stream([system, hinted], 60))
    assert "18.88" in answer or "18,88" in answer, answer
    "".join(generator.stream([system, other], 20))
    "".join(generator.stream([system, asked], 60))
    assert "".join(generator.stream([system, hinted], 60)) == answer


@pytest.mark.integration
def test_the_weights_are_read_into_memory_not_mapped():
    """llama.cpp copies most weights into a layout repacked for this CPU: a mapped file would stay
    resident beside that copy."""
    from bot.config import load_settings
    from bot.models import GENERATORS
    from bot.runtime import load_generator

    settings = load_settings()
    generator = load_generator(settings)
    assert "".join(generator.stream([{"role": "user", "content": "Say OK."}], 4))
    maps = Path("/proc/self/maps").read_text()
    assert GENERATORS[settings.generator].key not in maps
