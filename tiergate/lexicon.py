"""Every gate word of the word-based detectors, found in one Aho-Corasick pass over the lowered text.

A substring test costs about a microsecond per 2 KB prompt, so a few dozen of
them cost more than the rest of the scan; one automaton over all the words
(the medical lexicon's ~1,200 terms, marker stems, birth words, in every
language) costs a few microseconds however many words it knows, and tells
where each one stands.

``find`` returns, per family, the (start, end, word) of every occurrence.
Families marked whole-word drop an ASCII word glued to ASCII letters or digits
("add" in "address", "als" in "also"); words in other scripts are taken as
they stand.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping

import ahocorasick_rs

Span = tuple[int, int, str]


def _glued(lowered: str, start: int, end: int) -> bool:
    """True if an ASCII word is part of a longer word, number, address or identifier."""
    # Only a word's letter or digit edge can be glued: " * " or "[at]" stand as they are.
    before = lowered[start - 1] if start and lowered[start].isalnum() else " "
    after = lowered[end] if end < len(lowered) and lowered[end - 1].isalnum() else " "
    return (
        (before.isascii() and before.isalnum())
        or (after.isascii() and after.isalnum())
        or before in "@_./\\"
        or after in "@_/\\"
        or (after == "." and end + 1 < len(lowered) and lowered[end + 1].isalnum())
    )


# Accented Latin letters to their base letter, one character for one (offsets stay).
_FOLD = {
    code: base
    for code in range(0xC0, 0x180)
    if (base := unicodedata.normalize("NFD", chr(code))[0]) != chr(code) and base.isascii()
} | {ord("ł"): "l", ord("ø"): "o", ord("đ"): "d"}


class Lexicon:
    """Words grouped in families; immutable after construction, safe to share."""

    def __init__(
        self,
        families: Mapping[str, Iterable[str]],
        *,
        whole_words: frozenset[str] = frozenset(),
        folded: frozenset[str] = frozenset(),
    ) -> None:
        """``folded``: families whose ASCII words also match with accents on their letters
        ("méthadone", "oméprazole" find "methadone", "omeprazole")."""
        owners: dict[str, list[str]] = {}
        for family, words in families.items():
            for word in words:
                families_of = owners.setdefault(word, [])
                if family not in families_of:
                    families_of.append(family)
        self._words = list(owners)
        self._owners = [tuple(owners[w]) for w in self._words]
        self._whole = whole_words
        self._folded = folded
        self._automaton = ahocorasick_rs.AhoCorasick(
            self._words,
            matchkind=ahocorasick_rs.MatchKind.Standard,
            implementation=ahocorasick_rs.Implementation.ContiguousNFA,
        )

    def _folded_matches(self, lowered: str, folded: str) -> list[tuple[int, int, int]]:
        """Matches of the folded families' ASCII words that only accents hid ("méthadone")."""
        try:
            matches = self._automaton.find_matches_as_indexes(folded, overlapping=True)
        except UnicodeEncodeError:
            return []
        return [
            (index, start, end)
            for index, start, end in matches
            if lowered[start:end] != folded[start:end]
            and self._words[index].isascii()
            and any(family in self._folded for family in self._owners[index])
        ]

    def find(self, lowered: str) -> dict[str, list[Span]]:
        found: dict[str, list[Span]] = {}
        try:
            matches = self._automaton.find_matches_as_indexes(lowered, overlapping=True)
        except UnicodeEncodeError:  # a lone surrogate (decoded "\ud83d"): '?' keeps every offset
            safe = lowered.encode("utf-8", "replace").decode("utf-8")
            matches = self._automaton.find_matches_as_indexes(safe, overlapping=True)
        if self._folded and not lowered.isascii():
            folded = lowered.translate(_FOLD)
            if folded != lowered:
                matches = [*matches, *self._folded_matches(lowered, folded)]
        for index, start, end in matches:
            word = self._words[index]
            glued: bool | None = None
            for family in self._owners[index]:
                if family in self._whole and word[0].isascii():
                    if glued is None:
                        glued = _glued(lowered, start, end)
                    if glued:
                        continue
                found.setdefault(family, []).append((start, end, word))
        return found
