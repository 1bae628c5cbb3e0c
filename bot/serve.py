"""`python -m bot.serve run|shell ...`: Rasa's own command line, with bot/rasa_patches.py first.

The one place the project replaces Rasa internals. tools/launcher.py starts every Rasa server
through it (`make run`, `make shell`, the tests' servers and bench's), so each gets the
speed-ups; `rasa train`, `make eval` and the action server run Rasa as shipped. The arguments
are `rasa`'s. The replacements are made in this process before Rasa starts, so Sanic's workers
(forked) have them too.
"""

from __future__ import annotations

import sys

SERVER_COMMANDS = ("run", "shell")


def speed_up_rasa() -> bool:
    """Replaces the Rasa internals bot/rasa_patches.py lists, if this is the Rasa they fit.

    Rasa's log format is set up first (Rasa sets it again when it starts), so the one line
    saying what was replaced shows in the server's log like Rasa's own.
    """
    from rasa.utils.io import configure_colored_logging

    from bot import rasa_patches

    configure_colored_logging(None)
    return rasa_patches.install()


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in SERVER_COMMANDS or args[1:2] == ["actions"]:
        sys.exit(f"bot.serve starts a Rasa server: {' or '.join(SERVER_COMMANDS)} and Rasa's "
                 "arguments (for anything else, use rasa itself)")
    speed_up_rasa()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *args]
    rasa_main()


if __name__ == "__main__":
    main()
