"""Who signs a letter: a supporter (name, optionally town and e-mail) or an organisation.

An appeal to a Kazakh state body that carries no name and address may be left unconsidered
as anonymous, so a letter is always signed by a person or an organisation, or leaves a line
to sign by hand; never by "the bot's supporters".

The bot fills a Signer from the subscriber's sender block (`Signer.of(subscriber.signature,
subscriber.sender_town, subscriber.sender_email)`); `uabot letters export --org NAME
[--contact LINE]` fills `org` and `contact`.
"""

from __future__ import annotations

from dataclasses import dataclass


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())


@dataclass(frozen=True)
class Signer:
    """The sender block of a letter; every field may be empty (then the letter leaves a
    line to sign by hand)."""

    name: str = ""
    town: str = ""
    email: str = ""
    org: str = ""  # an organisation that signs (an NGO's export)
    contact: str = ""  # the organisation's postal address, e-mail or phone, one line

    @classmethod
    def of(
        cls,
        name: str | None = None,
        town: str | None = None,
        email: str | None = None,
        *,
        org: str | None = None,
        contact: str | None = None,
    ) -> Signer:
        """From optional values (a subscriber's columns, CLI options): None and blanks are
        empty, runs of whitespace one space."""
        return cls(_clean(name), _clean(town), _clean(email), _clean(org), _clean(contact))

    @property
    def author(self) -> str:
        """Who the letter is from, one line (the PDF's /Author): the organisation, else the
        person; "" when nobody is named."""
        return self.org or self.name

    @property
    def named(self) -> bool:
        return bool(self.author)

    def lines(self) -> tuple[str, ...]:
        """The sender block under the signature: name (or organisation), then town, e-mail
        or the organisation's contact line; empty parts left out."""
        parts: tuple[str, ...]
        if self.org:
            parts = (self.org, self.name, self.contact, self.town, self.email)
        else:
            parts = (self.name, self.town, self.email)
        return tuple(part for part in parts if part)


NOBODY = Signer()


def as_signer(value: Signer | str | None) -> Signer:
    """A Signer from what callers pass: a Signer, a bare name (older callers), or None."""
    if isinstance(value, Signer):
        return value
    return Signer.of(value)
