"""The watch's refusals: DomainErrors, their texts in templates/<lang>/errors/."""

from __future__ import annotations

from bot.domain.errors import DomainError


class UnsafeUrl(DomainError):
    """A URL the safety policy refuses (not http(s), a loopback or private address…)."""

    code = "watch_unsafe_url"


class UnknownSource(DomainError):
    code = "watch_unknown_source"


class TooManySources(DomainError):
    code = "watch_too_many_sources"


class BadKeywords(DomainError):
    code = "watch_bad_keywords"


class UnknownItem(DomainError):
    """A news button whose item is gone (its source was removed)."""

    code = "watch_unknown_item"
