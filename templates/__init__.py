"""Not code: marks this directory as the package `bot.templates` (bot/resources.py)."""
