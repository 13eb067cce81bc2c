"""Keywords in Latin and Cyrillic, found whatever their case, declension or ё."""

from __future__ import annotations

from bot.watch.keywords import matches, split_keywords

NAMES = ["Agadil", "Агадил"]


def test_latin_and_cyrillic_spellings_match_case_insensitively() -> None:
    assert matches(NAMES, "AGADIL's sons followed") == ["Agadil"]
    assert matches(NAMES, "СЕМЬЯ АГАДИЛА под наблюдением") == ["Агадил"]
    assert matches(NAMES, "Agadil / Агадилу отказали") == NAMES
    assert matches(NAMES, "Unrelated news about elections") == []


def test_kazakh_letters_fold_and_yo_matches_ye() -> None:
    assert matches(["Әлия Қасымова"], "ӘЛИЯ ҚАСЫМОВА арестована") == ["Әлия Қасымова"]
    assert matches(["Королёв"], "дело Королева") == ["Королёв"]


def test_keywords_are_words_or_quoted_phrases_each_once() -> None:
    assert split_keywords('Agadil Агадил "Dulat  Agadil" agadil') == [
        "Agadil",
        "Агадил",
        "Dulat Agadil",
    ]
    assert split_keywords('unbalanced "quote') == ["unbalanced", "quote"]
