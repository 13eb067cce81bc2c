"""Why a check failed, as data: stored on the source, explained per language by templates."""

from __future__ import annotations

from bot.texts import render

# The last_error column's width.
STORED_LENGTH = 200


class Problem(Exception):
    """`code` is explained by templates/<lang>/watch/problem.txt; `detail` (a status, a host,
    a number) is shown as it is. `retry_after`: the server asked us to come back after this
    many seconds (429, 503)."""

    def __init__(self, code: str, detail: str = "", retry_after: float | None = None) -> None:
        super().__init__(f"{code} {detail}".strip())
        self.code = code
        self.detail = detail
        self.retry_after = retry_after

    def stored(self) -> str:
        """As kept in watch_sources.last_error: the code, a space, the detail."""
        return f"{self.code} {self.detail}".strip()[:STORED_LENGTH]


def explain(stored: str, lang: str) -> str:
    """A stored problem in words, in the reader's language."""
    code, _, detail = stored.partition(" ")
    return render("watch/problem.txt", lang, code=code, detail=detail)
