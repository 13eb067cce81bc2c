"""A letter as a mailto: link (RFC 6068), and the one-tap e-mail a Telegram button opens.

The limits this relies on (figures and sources in docs/LETTERS.md, "One-tap e-mail"):

- Mail clients: RFC 6068 sets no length, but a mailto: link past about 2,000 characters is
  cut or refused: Chrome fails "right around 2000", Firefox opened 2,008, Outlook with IE,
  Firefox or Chrome takes 2,046, IE 2,083 (its URL limit; Microsoft KB 208427); Gmail in
  Firefox was reliable only to about 1,620 (the Stack Overflow question "Effective maximum
  mailto: body lengths", 4473959). MAIL_CLIENT_LIMIT keeps to 2,000: a link at most this
  long opens with its whole body.
- Telegram: a URL button takes only an "HTTP or tg:// URL" (Bot API, InlineKeyboardButton);
  a mailto: one is refused ("Wrong HTTP URL" / "Unsupported URL protocol"). So the button
  opens bot/letters/mail.html with the mailto: link after "#" and the page opens the mail
  app. No length is documented for a button's URL; Telegram documents 10 KB of markup per
  message (tginfo's Telegram-Limits, "Message markup data"). The strictest reasonable
  reading, which the local Bot API server enforces (bot/sandbox/content.py): a button's URL
  is at most URL_BUTTON_LIMIT = 2,048 characters, the common URL ceiling.

Cyrillic costs six characters a letter once percent-encoded (two UTF-8 bytes, "%D0%BF"), so
a Russian or Kazakh letter of a few hundred characters is past the limit: one_tap_email
then returns None and the bot sends the .eml draft instead. Nothing is ever cut: a link
opens with the full body or is not offered.
"""

from __future__ import annotations

from urllib.parse import quote

from bot.letters.render import Letter

MAIL_CLIENT_LIMIT = 2_000
URL_BUTTON_LIMIT = 2_048  # the same figure as bot/sandbox/content.py's URL_LIMIT
MAX_LENGTH = MAIL_CLIENT_LIMIT  # older name


def mailto_link(letter: Letter, max_length: int | None = MAIL_CLIENT_LIMIT) -> str | None:
    """The whole letter as a mailto: link, or None past `max_length` (None: no limit)."""
    to = quote(letter.target.email or "", safe="@")
    fields = {
        "cc": ",".join(t.email for t in letter.copies if t.email),
        "subject": letter.subject,
        # RFC 6068: line breaks in a body are CRLF.
        "body": letter.message.replace("\r\n", "\n").replace("\n", "\r\n"),
    }
    # Addresses keep "@" and the "," between them readable; all else is percent-encoded
    # (UTF-8), so Cyrillic survives every client that opens the link at all.
    query = "&".join(
        f"{key}={quote(value, safe='@,' if key == 'cc' else '')}"
        for key, value in fields.items()
        if value
    )
    link = f"mailto:{to}?{query}"
    return link if max_length is None or len(link) <= max_length else None


def one_tap_email(letter: Letter, page_url: str | None) -> str | None:
    """The https URL of the letter's one-tap e-mail button, or None: send the .eml instead.

    The rule: the target has an address, a page is configured, the mailto: link holding the
    full letter is at most MAIL_CLIENT_LIMIT characters, and the page URL with it after "#"
    is at most URL_BUTTON_LIMIT. The fragment is never sent to the page's server."""
    if not letter.target.email or not page_url:
        return None
    link = mailto_link(letter, MAIL_CLIENT_LIMIT)
    if link is None:
        return None
    url = f"{page_url.split('#', 1)[0]}#{link}"
    return url if len(url) <= URL_BUTTON_LIMIT else None
