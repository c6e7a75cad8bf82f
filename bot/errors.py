"""Errors whose message is meant for the user; turned into a CLI or UI message only at the edge."""


class BotError(Exception):
    """An error the user can act on; its message says what to do next."""


class ModelError(BotError):
    """A model is missing, damaged or could not be fetched."""


class IndexStateError(BotError):
    """The index is missing, damaged or does not match the corpus, embedder or settings."""


class InputError(BotError):
    """A question or request the product cannot take as given."""


class TimeLimitError(BotError):
    """An answer ran past the time limit and was ended."""

    def __init__(self, message: str, seconds: float):
        super().__init__(message)
        self.seconds = seconds


class ServerError(BotError):
    """The generation server could not be reached, dropped the answer or answered with an error."""
