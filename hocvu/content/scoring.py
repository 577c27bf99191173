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
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any


class InvalidAnswer(ValueError):
    """The answer does not fit the question (wrong shape, out of range)."""


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
            try:
                value = float(value.strip().replace(",", "."))
            except ValueError:
                raise InvalidAnswer("type a number") from None
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
