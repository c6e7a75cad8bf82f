"""One bound on the questions waiting for the model, whether they come from the page or from the HTTP API."""
from __future__ import annotations

import threading
from typing import Protocol


class PageQueue(Protocol):
    """Gradio's queue, as used here: its length is the page's waiting questions; at `max_size` it tells
    the page that the application is busy."""

    max_size: int | None

    def __len__(self) -> int: ...


class WaitingRoom:
    """The page's questions wait in Gradio's queue; the API's wait for the runner's lock, and are counted
    here. Each side counts the other: an API question is refused once the two together fill `size`, and
    the page's queue is given `size` less the API's waiting questions, so that Gradio tells the page it
    is busy at the same point."""

    def __init__(self, size: int, page: PageQueue):
        self.size = size
        self._page = page
        self._lock = threading.RLock()  # enter() counts while it holds it
        self.api_waiting = 0
        page.max_size = size

    @property
    def waiting(self) -> int:
        return len(self._page) + self.api_waiting

    def enter(self) -> Place | None:
        """A place for an API question, or None when the room is full."""
        with self._lock:
            if self.waiting >= self.size:
                return None
            self._count(+1)
            return Place(self)

    def _count(self, change: int) -> None:
        with self._lock:
            self.api_waiting += change
            self._page.max_size = max(0, self.size - self.api_waiting)


class Place:
    """An API question's place in the waiting room, given back once it has the model or has ended,
    whichever comes first (freeing it again does nothing)."""

    def __init__(self, room: WaitingRoom):
        self._room: WaitingRoom | None = room

    def free(self) -> None:
        room, self._room = self._room, None
        if room is not None:
            room._count(-1)

