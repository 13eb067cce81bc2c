"""Not code: marks this directory as the package `bot.migrations` (bot/resources.py)."""
