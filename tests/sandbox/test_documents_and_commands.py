"""Documents uploaded by the bot, and its command menus per scope."""

from __future__ import annotations

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InputFile,
    MenuButtonCommands,
)
from telegram.error import BadRequest, EndPointNotFound

from bot.sandbox.local import RunningServer

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40


async def test_a_document_keeps_its_bytes_name_and_type(bot: Bot, server: RunningServer) -> None:
    sent = await bot.send_document(
        42, InputFile(PDF, filename="letter-AG-1.pdf"), caption="<b>Letter</b>", parse_mode="HTML"
    )

    document = sent.document
    assert (document.file_name, document.mime_type, document.file_size) == (
        "letter-AG-1.pdf",
        "application/pdf",
        len(PDF),
    )
    assert sent.caption == "Letter"
    assert await server.acontrol.document(document.file_id) == PDF
    [shown] = await server.acontrol.messages(42)
    assert shown["document"] == {
        "file_id": document.file_id,
        "file_name": "letter-AG-1.pdf",
        "mime_type": "application/pdf",
        "size": len(PDF),
    }


async def test_a_document_can_be_sent_again_by_file_id_and_downloaded(bot: Bot) -> None:
    first = await bot.send_document(42, InputFile(PDF, filename="a.pdf"))

    again = await bot.send_document(43, first.document.file_id)
    downloaded = await (await bot.get_file(again.document.file_id)).download_as_bytearray()

    assert again.document.file_id == first.document.file_id
    assert bytes(downloaded) == PDF
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_document(42, "no-such-file-id")


async def test_commands_are_kept_per_scope_and_a_chat_falls_back(bot: Bot, server) -> None:
    subscriber = [BotCommand("cases", "Active cases"), BotCommand("help", "Help")]
    staff = [*subscriber, BotCommand("newcase", "Create a case")]
    await bot.set_my_commands(subscriber, scope=BotCommandScopeAllPrivateChats())
    await bot.set_my_commands(staff, scope=BotCommandScopeChat(7))

    assert await bot.get_my_commands(scope=BotCommandScopeChat(7)) == tuple(staff)
    assert await bot.get_my_commands() == ()
    assert [c["command"] for c in await server.acontrol.commands("chat", chat_id=7)] == [
        "cases",
        "help",
        "newcase",
    ]
    assert [c["command"] for c in await server.acontrol.commands("chat", chat_id=8)] == [
        "cases",
        "help",
    ]
    await bot.delete_my_commands(scope=BotCommandScopeChat(7))
    assert len(await server.acontrol.commands("chat", chat_id=7)) == 2


async def test_a_chat_sees_the_commands_in_its_users_language(bot: Bot, server) -> None:
    await bot.set_my_commands([BotCommand("cases", "Active cases")])
    await bot.set_my_commands([BotCommand("cases", "Активные дела")], language_code="ru")
    await server.acontrol.send_text(9, "/start", language_code="ru")

    [shown] = await server.acontrol.commands("chat", chat_id=9)

    assert shown["description"] == "Активные дела"


async def test_an_invalid_command_is_refused(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("New-Case", "x")])


async def test_the_menu_button_and_chat_action_are_accepted(bot: Bot) -> None:
    await bot.set_chat_menu_button(menu_button=MenuButtonCommands())

    assert await bot.get_chat_menu_button() == MenuButtonCommands()
    assert await bot.send_chat_action(42, "typing")


async def test_an_unknown_method_answers_404(bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", {"chat_id": 42})


async def test_a_documents_caption_is_not_text_to_edit(bot: Bot) -> None:
    sent = await bot.send_document(42, InputFile(PDF, filename="a.pdf"), caption="Letter")

    with pytest.raises(BadRequest, match="There is no text in the message to edit"):
        await bot.edit_message_text("new", 42, sent.message_id)
