"""What tests share: servers to start, a client per channel, and fakes (no tests here)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository
