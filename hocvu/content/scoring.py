"""Scoring an answer against an item's key, on the server only.

An answer arrives as a small JSON object whose shape depends on the item kind:

========== ===================================== ===============================
kind       answer                                key (``Item.answer``)
========== ===================================== ===============================
single     ``{"choice": 2}``                     ``[2]``
scenario   ``{"choice": 0}``                     ``[0]``
multiple   ``{"choices": [0, 3]}``               ``[0, 3]``
true_false ``{"value": true}``                   ``true``
ordering   ``{"order": [2, 0, 3, 1]}``           ``[2, 0, 3, 1]``
numeric    ``{"value": 12.5}``                   ``{"value": 12.5, "tolerance": 0}``
short_text ``{"text": "khởi động lại"}``         ``{"accepted": ["khởi động lại"]}``
========== ===================================== ===============================

Every malformed answer raises :class:`InvalidAnswer` with a message a person can read.

A numeric answer may also be the text a person typed (``{"value": "85%"}``); it is read by
:func:`parse_number`, whose rule is written there.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any


class InvalidAnswer(ValueError):
    """The answer does not fit the question (wrong shape, out of range).

    ``code`` tells the page which message to show: ``invalid_number`` for a typed number
    :func:`parse_number` cannot read, ``invalid_answer`` for everything else.
    """

    def __init__(self, message: str, code: str = "invalid_answer") -> None:
        super().__init__(message)
        self.code = code


# Spaces people (and keyboards) put between thousands: plain, no-break, thin, narrow no-break.
_SPACES = " \u00a0\u2009\u202f"
_SIGNS = {"+": 1, "-": -1, "\u2212": -1, "\u2013": -1}  # plus, hyphen-minus, minus, en dash
_DIGITS = re.compile(r"[0-9]+")
_GROUPED = re.compile(r"[1-9][0-9]{0,2}(?:([.,\s])[0-9]{3})(?:\1[0-9]{3})*")


def parse_number(text: str) -> float:
    """Read a number as a Vietnamese learner types it; raise :class:`InvalidAnswer`.

    The rule (Vietnamese writes ``1.234.567,5``; phones and English keyboards give ``4.5``):

    - Spaces around the number are ignored; one ``+`` or ``-`` (also ``−``, ``–``) may lead.
    - A ``%`` at the end (with or without a space) is dropped: ``85%`` is 85, since a
      question asking for a percentage takes the percentage as its key.
    - A comma is the decimal mark: ``4,5`` is 4.5, ``1,234`` is 1.234.
    - Spaces and dots between groups of exactly three digits separate thousands:
      ``1 234 567`` and ``1.234.567`` are 1234567 (so are two or more commas:
      ``1,234,567``), ``1.500`` and ``15.000`` are 1500 and
      15000 (as the questions themselves print numbers: "4.800 hồ sơ").
    - Otherwise a single dot is the decimal mark: ``1.5``, ``4.25``, ``3.1416`` and
      ``0.500`` (a leading 0 never starts a thousands group) are decimals.
    - When both a dot and a comma appear, the last one is the decimal mark and the other
      must separate groups of three: ``1.234,5`` and ``1,234.5`` are both 1234.5.
    - Nothing else: no letters, no exponent (``1e3``), no second sign or decimal mark, no
      ill-formed groups (``1.23.456``, ``12 34``), nothing infinite or too large.
    """
    if not isinstance(text, str):
        raise InvalidAnswer("type a number", code="invalid_number")
    body = text.strip(_SPACES + "\t\n")
    for space in _SPACES[1:]:
        body = body.replace(space, " ")
    if body.endswith("%"):
        body = body[:-1].rstrip()
    sign = 1
    if body[:1] in _SIGNS:
        sign = _SIGNS[body[0]]
        body = body[1:].lstrip()
    number = _read_unsigned(body)
    if number is None:
        raise InvalidAnswer(f"not a number: {text[:40]!r}", code="invalid_number")
    value = sign * number
    if not math.isfinite(value) or abs(value) > 1e15:
        raise InvalidAnswer("the number is too large", code="invalid_number")
    return value


def _read_unsigned(body: str) -> float | None:
    """The value of digits with separators (see :func:`parse_number`), or None."""
    if not body or body[0] not in "0123456789" or body[-1] not in "0123456789":
        return None
    if not all(ch in "0123456789., " for ch in body):
        return None
    marks = [ch for ch in body if ch in ".,"]
    decimal = ""
    if "," in marks and "." in marks:
        decimal = body[max(body.rfind(","), body.rfind("."))]
    elif marks.count(",") == 1:
        decimal = ","
    elif marks.count(".") == 1:
        head, _, tail = body.partition(".")
        grouped = len(tail) == 3 and head.strip(" ")[:1] not in ("0", "") and " " not in tail
        decimal = "" if grouped else "."
    whole, _, fraction = body.rpartition(decimal) if decimal else (body, "", "")
    if decimal and not _DIGITS.fullmatch(fraction):
        return None
    if not _DIGITS.fullmatch(whole) and not _GROUPED.fullmatch(whole):
        return None
    digits = re.sub(r"[^0-9]", "", whole)
    return float(f"{digits}.{fraction}" if fraction else digits)


def fold(text: str) -> str:
    """Lower case, no diacritics (đ -> d), single spaces: for comparing typed answers."""
    text = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = re.sub(r"[^\w%.,]+", " ", text)
    return " ".join(text.split())


def _index(value: Any, n_options: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAnswer(f"{what} must be an option number")
    if not 0 <= value < n_options:
        raise InvalidAnswer(f"{what} {value} is not one of the options")
    return value


def score(kind: str, key: Any, n_options: int, answer: Any) -> int:
    """Return 1 for a right answer and 0 for a wrong one; raise on a malformed answer."""
    if not isinstance(answer, dict):
        raise InvalidAnswer("the answer must be an object")
    if kind in ("single", "scenario"):
        choice = _index(answer.get("choice"), n_options, "choice")
        return int(choice == key[0])
    if kind == "multiple":
        choices = answer.get("choices")
        if not isinstance(choices, list) or not choices:
            raise InvalidAnswer("choose at least one option")
        picked = {_index(c, n_options, "choice") for c in choices}
        if len(picked) != len(choices):
            raise InvalidAnswer("an option was chosen twice")
        return int(picked == set(key))
    if kind == "true_false":
        value = answer.get("value")
        if not isinstance(value, bool):
            raise InvalidAnswer("the answer must be true or false")
        return int(value == key)
    if kind == "ordering":
        order = answer.get("order")
        if not isinstance(order, list) or len(order) != n_options:
            raise InvalidAnswer("put every option in order exactly once")
        positions = [_index(x, n_options, "position") for x in order]
        if len(set(positions)) != n_options:
            raise InvalidAnswer("put every option in order exactly once")
        return int(positions == list(key))
    if kind == "numeric":
        value = answer.get("value")
        if isinstance(value, str):
            value = parse_number(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidAnswer("type a number")
        try:
            number = float(value)
        except OverflowError:
            raise InvalidAnswer("type a number") from None
        if not math.isfinite(number):
            raise InvalidAnswer("type a number")
        return int(abs(number - key["value"]) <= key.get("tolerance", 0) + 1e-9)
    if kind == "short_text":
        text = answer.get("text")
        if not isinstance(text, str) or not text.strip():
            raise InvalidAnswer("type an answer")
        if len(text) > 500:
            raise InvalidAnswer("the answer is too long")
        return int(fold(text) in {fold(a) for a in key["accepted"]})
    raise InvalidAnswer(f"unknown item kind {kind!r}")


def check_key(kind: str, key: Any, n_options: int) -> None:
    """Validate an item's key when it is authored or imported (raise ValueError)."""
    if kind in ("single", "scenario"):
        if not (isinstance(key, list) and len(key) == 1):
            raise ValueError("the key must name exactly one option")
        _index(key[0], n_options, "key")
        if n_options < 2:
            raise ValueError("at least two options are needed")
    elif kind == "multiple":
        if not (isinstance(key, list) and len(key) >= 2 and len(set(key)) == len(key)):
            raise ValueError("the key must name at least two different options")
        for k in key:
            _index(k, n_options, "key")
    elif kind == "true_false":
        if not isinstance(key, bool):
            raise ValueError("the key must be true or false")
    elif kind == "ordering":
        if not (isinstance(key, list) and sorted(key) == list(range(n_options)) and n_options >= 2):
            raise ValueError("the key must order every option exactly once")
    elif kind == "numeric":
        if not (isinstance(key, dict) and isinstance(key.get("value"), int | float)):
            raise ValueError("the key must give a number")
        if key.get("tolerance", 0) < 0:
            raise ValueError("the tolerance cannot be negative")
    elif kind == "short_text":
        accepted = key.get("accepted") if isinstance(key, dict) else None
        if not (
            isinstance(accepted, list)
            and accepted
            and all(isinstance(a, str) and a.strip() for a in accepted)
        ):
            raise ValueError("list at least one accepted answer")
    else:
        raise ValueError(f"unknown item kind {kind!r}")
