"""Appeal letters: rendered per target and language from public views only, then written
out as plain text, PDF, .eml or a mailto: link. `service.py` is the entry point for callers.
"""
