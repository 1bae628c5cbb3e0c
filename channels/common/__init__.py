"""Plumbing the channel adapters share: webhook base, limits, texts, sender pseudonyms, per-sender state."""
