"""The Bot API methods uabot uses, from parsed parameters to Telegram's `result`.

getUpdates is not here: it waits, so the server handles it. Everything here is synchronous.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from bot.sandbox import content
from bot.sandbox.commands import check_commands, scope_key
from bot.sandbox.errors import bad_request
from bot.sandbox.models import Document, User
from bot.sandbox.params import Params
from bot.sandbox.state import BotState

Method = Callable[[BotState, User, Params], Any]
CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}


def get_me(state: BotState, bot: User, params: Params) -> dict[str, Any]:
    return bot.to_api() | {
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def _reply_to(state: BotState, chat_id: int, params: Params) -> int | None:
    """The replied message id, checked as Telegram checks it unless told not to."""
    reply = params.decoded("reply_parameters", "reply parameters") or {}
    message_id = reply.get("message_id") if isinstance(reply, dict) else None
    if message_id is None:
        message_id = params.optional_integer("reply_to_message_id")
        lenient = params.flag("allow_sending_without_reply")
    else:
        lenient = bool(reply.get("allow_sending_without_reply"))
    if message_id is None:
        return None
    if state.message(int(reply.get("chat_id", chat_id)), int(message_id)) is None:
        if lenient:
            return None
        raise bad_request("message to be replied not found")
    return int(message_id)


def send_message(state: BotState, bot: User, params: Params) -> dict[str, Any]:
    chat_id = params.chat_id()
    text = content.message_text(
        params.text("text"), params.text("parse_mode"), params.decoded("entities", "entities")
    )
    markup = content.reply_markup(params.decoded("reply_markup", "reply keyboard markup"))
    reply_to = _reply_to(state, chat_id, params)
    state.admit(chat_id)
    message = state.send(
        bot,
        chat_id,
        text,
        reply_markup=markup,
        reply_to=reply_to,
        protected=params.flag("protect_content"),
    )
    return message.to_api()


def _document(state: BotState, params: Params) -> Document:
    upload = params.files.get("document")
    if upload is not None:
        return Document(
            file_id=f"BQAC{secrets.token_urlsafe(24)}",
            file_unique_id=f"AgAD{secrets.token_urlsafe(8)}",
            file_name=upload.file_name,
            mime_type=upload.mime_type,
            data=upload.data,
        )
    file_id = params.text("document")
    if not file_id:
        raise bad_request("there is no document in the request")
    known = state.documents.get(file_id)
    if known is None:
        # No internet here: a URL cannot be fetched, so only known file_ids are taken.
        raise bad_request("wrong file identifier/HTTP URL specified")
    return known


def send_document(state: BotState, bot: User, params: Params) -> dict[str, Any]:
    chat_id = params.chat_id()
    caption = content.caption(
        params.text("caption"),
        params.text("parse_mode"),
        params.decoded("caption_entities", "caption entities"),
    )
    markup = content.reply_markup(params.decoded("reply_markup", "reply keyboard markup"))
    document = _document(state, params)
    reply_to = _reply_to(state, chat_id, params)
    state.admit(chat_id)
    message = state.send(
        bot,
        chat_id,
        caption,
        reply_markup=markup,
        document=document,
        reply_to=reply_to,
        protected=params.flag("protect_content"),
    )
    return message.to_api()


def get_file(state: BotState, bot: User, params: Params) -> dict[str, Any]:
    document = state.documents.get(params.text("file_id") or "")
    if document is None:
        raise bad_request("invalid file_id")
    return document.to_api() | {"file_path": f"documents/{document.file_id}"}


def _edit_target(params: Params) -> tuple[int, int]:
    if params.has("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")  # uabot sends no inline messages
    return params.chat_id(), params.integer("message_id")


def edit_message_text(state: BotState, bot: User, params: Params) -> dict[str, Any]:
    chat_id, message_id = _edit_target(params)
    text = content.message_text(
        params.text("text"), params.text("parse_mode"), params.decoded("entities", "entities")
    )
    markup = content.reply_markup(params.decoded("reply_markup", "reply keyboard markup"))
    if state.message(chat_id, message_id) is None:
        raise bad_request("message to edit not found")
    state.admit(chat_id)
    return state.edit(chat_id, message_id, text, markup).to_api()


def edit_message_reply_markup(state: BotState, bot: User, params: Params) -> dict[str, Any]:
    chat_id, message_id = _edit_target(params)
    markup = content.reply_markup(params.decoded("reply_markup", "reply keyboard markup"))
    if state.message(chat_id, message_id) is None:
        raise bad_request("message to edit not found")
    state.admit(chat_id)
    return state.edit(chat_id, message_id, None, markup).to_api()


def delete_message(state: BotState, bot: User, params: Params) -> bool:
    state.delete(params.chat_id(), params.integer("message_id"))
    return True


def answer_callback_query(state: BotState, bot: User, params: Params) -> bool:
    query_id = params.text("callback_query_id")
    if not query_id:
        raise bad_request("callback_query_id is empty")
    text = params.text("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    state.answer_callback(query_id, text, params.flag("show_alert"))
    return True


def send_chat_action(state: BotState, bot: User, params: Params) -> bool:
    chat_id = params.chat_id()
    if params.text("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    state.check_reachable(chat_id)
    return True


def _scope_and_language(params: Params) -> tuple[str, str]:
    scope = scope_key(params.decoded("scope", "BotCommandScope"))
    return scope, params.text("language_code") or ""


def set_my_commands(state: BotState, bot: User, params: Params) -> bool:
    commands = check_commands(params.decoded("commands", "commands"))
    state.commands.set(*_scope_and_language(params), commands)
    return True


def get_my_commands(state: BotState, bot: User, params: Params) -> list[dict[str, str]]:
    return state.commands.get(*_scope_and_language(params))


def delete_my_commands(state: BotState, bot: User, params: Params) -> bool:
    state.commands.set(*_scope_and_language(params), [])
    return True


def set_chat_menu_button(state: BotState, bot: User, params: Params) -> bool:
    button = params.decoded("menu_button", "menu button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in ("default", "commands", "web_app"):
        raise bad_request("can't parse menu button JSON object")
    state.menu_buttons[params.optional_integer("chat_id")] = button
    return True


def get_chat_menu_button(state: BotState, bot: User, params: Params) -> dict[str, Any]:
    chat_id = params.optional_integer("chat_id")
    button = state.menu_buttons.get(chat_id) or state.menu_buttons.get(None)
    if button is None or button.get("type") == "default":
        return {"type": "commands"}  # what Telegram shows when nothing was set
    return button


def set_webhook(state: BotState, bot: User, params: Params) -> bool:
    url = params.text("url") or ""
    if not url:
        state.webhook = {}
        return True
    if not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
    allowed = params.decoded("allowed_updates", "allowed updates")
    state.webhook = {"url": url, "secret_token": params.text("secret_token")}
    if allowed is not None:
        state.webhook["allowed_updates"] = state.allowed_updates = list(allowed)
    if params.flag("drop_pending_updates"):
        state.updates.clear()
    return True


def delete_webhook(state: BotState, bot: User, params: Params) -> bool:
    state.webhook = {}
    if params.flag("drop_pending_updates"):
        state.updates.clear()
    return True


def get_webhook_info(state: BotState, bot: User, params: Params) -> dict[str, Any]:
    info: dict[str, Any] = {
        "url": state.webhook.get("url", ""),
        "has_custom_certificate": False,
        "pending_update_count": len(state.updates),
    }
    for key in ("allowed_updates", "last_error_date", "last_error_message"):
        if state.webhook.get(key):
            info[key] = state.webhook[key]
    return info


def log_out(state: BotState, bot: User, params: Params) -> bool:
    return True


METHODS: dict[str, Method] = {
    "getme": get_me,
    "sendmessage": send_message,
    "senddocument": send_document,
    "getfile": get_file,
    "editmessagetext": edit_message_text,
    "editmessagereplymarkup": edit_message_reply_markup,
    "deletemessage": delete_message,
    "answercallbackquery": answer_callback_query,
    "sendchataction": send_chat_action,
    "setmycommands": set_my_commands,
    "getmycommands": get_my_commands,
    "deletemycommands": delete_my_commands,
    "setchatmenubutton": set_chat_menu_button,
    "getchatmenubutton": get_chat_menu_button,
    "setwebhook": set_webhook,
    "deletewebhook": delete_webhook,
    "getwebhookinfo": get_webhook_info,
    "close": log_out,
    "logout": log_out,
}
