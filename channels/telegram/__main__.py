"""`python -m channels.telegram set-webhook|poll` (make telegram-webhook, make telegram-poll)."""

from channels.telegram import main

main()
