"""The action server (rasa_sdk). Kept thin: the logic lives in the `bot` package."""
