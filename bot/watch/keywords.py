"""Keywords: a person's name in Latin and Cyrillic spellings, found case-insensitively.

Matching is by substring of a normalised text, so Russian and Kazakh declensions of a name
still match ("Агадил" finds "Агадила", "Агадилу") and so do possessives ("Agadil's").
"""

from __future__ import annotations

import re
import shlex
import unicodedata
from collections.abc import Iterable, Sequence

MAX_KEYWORDS = 20
KEYWORD_LENGTH = 100
SPACES = re.compile(r"\s+")
# ё is written е in much Russian text: "Королёв" and "Королев" are one name.
FOLDS = str.maketrans({"ё": "е", "’": "'", "ʼ": "'"})


def normalise(text: str) -> str:
    """NFKC, case-folded (Latin, Cyrillic, Kazakh letters alike), ё as е, spaces collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(FOLDS)
    return SPACES.sub(" ", folded).strip()


def split_keywords(raw: str) -> list[str]:
    """Keywords as typed after the URL: words, or "quoted phrases"; duplicates dropped."""
    try:
        words = shlex.split(raw)
    except ValueError:  # an unbalanced quote: take the words as they are
        words = raw.replace('"', " ").split()
    unique: dict[str, str] = {}
    for word in words:
        word = SPACES.sub(" ", word).strip()
        if word and normalise(word) not in unique:
            unique[normalise(word)] = word
    return list(unique.values())


def matches(keywords: Sequence[str], text: str) -> list[str]:
    """The keywords (as the coordinator wrote them) found in `text`."""
    haystack = normalise(text)
    return [keyword for keyword in keywords if normalise(keyword) in haystack]


def found_in_any(keywords: Sequence[str], texts: Iterable[str]) -> list[str]:
    found: list[str] = []
    for text in texts:
        for keyword in matches(keywords, text):
            if keyword not in found:
                found.append(keyword)
    return found
