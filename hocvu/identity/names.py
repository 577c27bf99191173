"""Ordering Vietnamese names as people expect: by given name, in the Vietnamese alphabet."""

from __future__ import annotations

import unicodedata

# The Vietnamese alphabet: ă, â after a; đ after d; ê after e; ô, ơ after o; ư after u.
_ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
_RANK = {ch: i for i, ch in enumerate(_ALPHABET)}
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}  # huyền hỏi ngã sắc nặng


def _letters(word: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    base: list[int] = []
    tones: list[int] = []
    for ch in word.lower():
        decomposed = unicodedata.normalize("NFD", ch)
        tone = 0
        kept = ""
        for part in decomposed:
            if part in _TONES:
                tone = _TONES[part]
            else:
                kept += part
        letter = unicodedata.normalize("NFC", kept)
        base.append(_RANK.get(letter, 100 + ord(letter[0]) if letter else 0))
        tones.append(tone)
    return tuple(base), tuple(tones)


def name_sort_key(full_name: str) -> tuple[object, ...]:
    """Sort key: given name first, then the rest of the name, letters before tones."""
    words = full_name.split()
    if not words:
        return ((), ())
    given = _letters(words[-1])
    rest = _letters(" ".join(words[:-1]))
    return (given[0], rest[0], given[1], rest[1])
