"""The letter rendering process's entry point: `python -m bot.letters.render_process MEMORY`.

Started and stopped by bot/letters/bounded.py; it reads jobs on stdin and answers on stdout.
"""

from __future__ import annotations

import sys

from bot.letters import bounded, render  # noqa: F401 (render: its jobs are sent by name)

if __name__ == "__main__":
    bounded.serve(int(sys.argv[1]))
