"""The sandbox: a local Telegram Bot API server and a web chat in front of it.

It is two things at once, and this package is where both live:
- a product feature: `uabot run` with no TELEGRAM_TOKEN (and `uabot sandbox`) serves it, so a
  newcomer tries the bot in a browser with nothing leaving the machine (web/, sample_feeds/);
- the test tool: the tests and benchmarks drive the real bot over HTTP against it, with its
  control API and its faults (docs/CONTROL_API.md; `local.run_server`, `ControlClient`).

Where Telegram documents a behaviour this server does exactly that; where Telegram is silent
it offers the strictest reasonable reading, as a mode.
"""
