"""The local Bot API server: Telegram's Bot API over HTTP, for the sandbox and the tests."""
