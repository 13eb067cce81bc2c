"""A letter as an .eml draft: UTF-8, To the target, Cc the case's copy targets, a subject.

Mail clients (Thunderbird, Outlook, Apple Mail) open an .eml file as a message; `X-Unsent: 1`
makes Outlook open it as a draft ready to send rather than as a received message.
"""

from __future__ import annotations

from email import policy
from email.headerregistry import Address
from email.message import EmailMessage

from bot.domain.views import PublicTarget
from bot.letters.render import Letter


def _address(target: PublicTarget) -> Address | None:
    if not target.email:
        return None
    return Address(display_name=target.name, addr_spec=target.email)


def letter_eml(letter: Letter) -> bytes:
    message = EmailMessage(policy=policy.default)
    to = _address(letter.target)
    if to is not None:  # with no address the sender types one: the draft is still useful
        message["To"] = to
    copies = [a for a in (_address(t) for t in letter.copies) if a is not None]
    if copies:
        message["Cc"] = copies
    message["Subject"] = letter.subject
    message["X-Unsent"] = "1"
    # 8bit keeps the text readable in the file itself; every current client reads it.
    message.set_content(letter.message + "\n", charset="utf-8", cte="8bit")
    message["Content-Language"] = letter.lang  # after set_content, which clears Content-*
    return message.as_bytes(policy=policy.default)
