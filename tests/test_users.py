"""Concurrent users of the HTTP API: each answer counted for the user who asked it, or as mixed, or failed."""
import threading

from bot.users import Load, one_round, row

QUESTIONS = [f"Question {i} ?" for i in range(6)]


def test_every_user_asks_their_own_questions_and_each_answer_is_checked_against_its_question():
    seen, lock = [], threading.Lock()

    def asker(url, question):
        with lock:
            seen.append(question)
        if question == "Question 4 ?":
            return 503, None  # busy
        if question == "Question 5 ?":
            return 200, {"question": "Question 0 ?", "answer": "another reader's answer"}
        return 200, {"question": question, "answer": "ok"}

    load = one_round("http://x/", QUESTIONS, users=3, total=6, asker=asker)
    assert sorted(seen) == sorted(QUESTIONS)  # user u asks questions u and u + 3: every round the same ones
    assert (load.asked, load.answered, load.mixed, load.failed) == (6, 4, 1, 1)
    assert len(load.latencies) == 4 and load.per_minute > 0
    assert load.to_json()["answers_per_minute"] == round(load.per_minute, 2)


def test_more_questions_than_the_list_wrap_around_and_an_empty_round_reads_as_zero():
    asked = []
    one_round("http://x/", QUESTIONS[:2], users=2, total=6,
              asker=lambda url, q: (asked.append(q), (200, {"question": q, "answer": "ok"}))[1])
    assert sorted(asked) == ["Question 0 ?"] * 3 + ["Question 1 ?"] * 3
    empty = Load(4, 0, 0, 0, 0, 0.0, ())
    assert empty.per_minute == 0.0 and empty.to_json()["latency_s_p50"] is None and "0/0 answered" in row(empty)
