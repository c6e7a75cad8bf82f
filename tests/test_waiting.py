"""One bound on the questions waiting for the model: the page's (Gradio's queue) and the API's together."""
from bot.waiting import WaitingRoom


class PageQueue(list):
    """Gradio's queue as the waiting room sees it: a length, and the bound at which it refuses the page."""

    max_size: int | None = None


def test_api_questions_are_refused_once_the_page_and_the_api_fill_the_room():
    page = PageQueue(["page question"])
    room = WaitingRoom(3, page)
    places = [room.enter(), room.enter()]
    assert all(places) and room.waiting == 3 and room.enter() is None
    places[0].free()
    assert room.waiting == 2 and room.enter() is not None


def test_the_page_queue_shrinks_by_the_api_questions_waiting():
    page = PageQueue()
    room = WaitingRoom(2, page)
    assert page.max_size == 2
    first = room.enter()
    assert page.max_size == 1
    second = room.enter()
    assert page.max_size == 0  # Gradio now tells the page it is busy
    first.free()
    first.free()  # freeing twice gives back one place only
    assert page.max_size == 1 and room.api_waiting == 1
    second.free()
    assert page.max_size == 2 and room.waiting == 0
