"""Registers the Telegram webhook, or polls Telegram for local development.

    python -m channels.telegram set-webhook   # registers TELEGRAM_WEBHOOK_URL with the secret
    python -m channels.telegram poll          # local development: no public URL needed

The token, secret and API address are read as the server reads them: through credentials.yml's
names for the environment variables.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from channels.telegram import ALLOWED_UPDATES, SECRET_HEADER, TelegramInput

CREDENTIALS = Path(__file__).resolve().parents[2] / "credentials.yml"


def channel() -> TelegramInput:
    """The channel as credentials.yml configures it (one Bot, built in one place)."""
    credentials = yaml.safe_load(CREDENTIALS.read_text(encoding="utf-8"))
    telegram = TelegramInput.from_credentials(credentials["channels.telegram.TelegramInput"])
    if telegram.unconfigured:
        sys.exit(telegram.unconfigured)
    return telegram


async def set_webhook(telegram: TelegramInput) -> None:
    """Registers TELEGRAM_WEBHOOK_URL with the secret token every update must then carry."""
    async with telegram.bot as bot:
        await bot.set_webhook(os.environ["TELEGRAM_WEBHOOK_URL"], secret_token=telegram.secret,
                              allowed_updates=ALLOWED_UPDATES)
    print("Webhook registered.")


async def poll(telegram: TelegramInput, local_webhook: str) -> None:
    """Local development: fetches updates and hands each to the local webhook.

    Each goes with the secret, so it takes exactly the path Telegram's own calls take.
    """
    async with telegram.bot as bot:
        await bot.delete_webhook()
        offset = 0
        print(f"Polling Telegram; forwarding updates to {local_webhook}. Ctrl-C stops.")
        while True:
            for update in await bot.get_updates(offset=offset, timeout=30,
                                                allowed_updates=ALLOWED_UPDATES):
                offset = update.update_id + 1
                request = urllib.request.Request(
                    local_webhook, data=json.dumps(update.to_dict()).encode(),
                    headers={"Content-Type": "application/json", SECRET_HEADER: telegram.secret})
                try:
                    await asyncio.to_thread(urllib.request.urlopen, request, None, 60)
                except urllib.error.URLError as error:
                    print(f"could not reach {local_webhook}: {error.reason}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["set-webhook", "poll"])
    parser.add_argument("--local-webhook",
                        default="http://localhost:5005/webhooks/telegram/webhook")
    args = parser.parse_args()
    telegram = channel()
    if args.command == "set-webhook":
        asyncio.run(set_webhook(telegram))
    else:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(poll(telegram, args.local_webhook))


if __name__ == "__main__":
    main()
