"""Any text from outside (a stdin line, a JSON field, the page) made valid, visible and tidy before use."""
from __future__ import annotations

import re
import unicodedata

# Line breaks in their other spellings (CR, CRLF, VT, FF, file/group/record separators, NEL, LS, PS).
_LINE_BREAK = re.compile("\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# Characters the models would read but nobody sees: C0 controls except tab and newline, DEL, C1
# controls; zero-width and bidi controls (they hide or reorder words, as in "Trojan Source"
# spoofing); the byte-order mark; tag characters (invisible look-alikes of ASCII that can smuggle
# instructions to a model).
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\u200b\u200c\u200e\u200f"
                        "\u202a-\u202e\u2060-\u2069\ufeff\U000e0000-\U000e007f]")
_JOINER = "\u200d"
_WHITESPACE = re.compile(r"\s+")
# A single space of French typography (no-break space before « ? », thin space in « 38 000 ») is kept.
_SINGLE_SPACES = {" ", "\u00a0", "\u202f", "\u2009"}


def valid_text(text: str) -> str:
    """The same text with every lone surrogate (from bytes decoded with surrogateescape, or a JSON
    "\\udc80" escape) turned into U+FFFD, so that it encodes as UTF-8; a surrogate pair becomes its
    character."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _emoji_joiner(match: re.Match) -> str:
    """A zero-width joiner between two symbols is part of one emoji (👩‍💻); anywhere else it hides."""
    text, i = match.string, match.start()
    before = text[i - 1] if i else ""
    after = text[i + 1] if i + 1 < len(text) else ""
    joins = (before == "\ufe0f" or unicodedata.category(before or " ") in ("So", "Sk")) \
        and unicodedata.category(after or " ") == "So"
    return _JOINER if joins else ""


def _collapse(match: re.Match) -> str:
    run = match.group()
    breaks = run.count("\n")
    if breaks:
        return "\n\n" if breaks > 1 else "\n"  # a paragraph break stays one, a line break stays one
    return run if run in _SINGLE_SPACES else " "


def clean_text(text: str) -> str:
    """Any str made safe to embed, prompt, print and write as UTF-8.

    Invalid sequences become U+FFFD; other spellings of a line break become a newline; control
    characters except newline and tab are removed, and so are zero-width, bidi-control,
    byte-order-mark and tag characters (a zero-width joiner inside an emoji stays); the text is
    NFC-normalized; a run of whitespace becomes one space, or one line break (two for a paragraph
    break), while a single space or no-break space is kept as it is; both ends are stripped.
    Ordinary text in any script, with its accents and emoji, comes out unchanged."""
    text = _INVISIBLE.sub("", _LINE_BREAK.sub("\n", valid_text(text)))
    text = re.sub(_JOINER, _emoji_joiner, text)
    text = unicodedata.normalize("NFC", text)
    return _WHITESPACE.sub(_collapse, text).strip()


def clean_question(text: str) -> str:
    """`clean_text` on one line: a question is a single line, so its line breaks become spaces."""
    return re.sub("\n+", " ", clean_text(text))
