"""The web chat: Telegram's chat with the bot, in a browser, over the control API.

`uabot run` with no TELEGRAM_TOKEN serves it at the local Bot API server's root. The page
(`static/`) is plain HTML, CSS and JavaScript: it acts as one of the `DEMO_USERS` through
`POST /_control/updates/...`, reads each chat with `/_control/chats/{id}/messages` and its
server-sent events, downloads documents from `/_control/documents/{file_id}` and shows the
command menu from `/_control/commands`.
"""

from __future__ import annotations

from bot.sandbox.web.routes import add_routes
from bot.sandbox.web.users import DEMO_USERS, DemoUser

__all__ = ["DEMO_USERS", "DemoUser", "add_routes"]
