"""A letter as a mailto: link (RFC 6068), or None when it is too long for mail clients.

Some clients and browsers cut or refuse links past about 2,000 characters; a Cyrillic
letter, percent-encoded, passes that quickly. None tells the caller to offer the file
("download the letter") instead.
"""

from __future__ import annotations

from urllib.parse import quote

from bot.letters.render import Letter

MAX_LENGTH = 2_000


def mailto_link(letter: Letter, max_length: int = MAX_LENGTH) -> str | None:
    to = quote(letter.target.email or "", safe="@")
    fields = {
        "cc": ",".join(t.email for t in letter.copies if t.email),
        "subject": letter.subject,
        # RFC 6068: line breaks in a body are CRLF.
        "body": letter.message.replace("\r\n", "\n").replace("\n", "\r\n"),
    }
    # Addresses keep "@" and the "," between them readable; all else is percent-encoded.
    query = "&".join(
        f"{key}={quote(value, safe='@,' if key == 'cc' else '')}"
        for key, value in fields.items()
        if value
    )
    link = f"mailto:{to}?{query}"
    return link if len(link) <= max_length else None
