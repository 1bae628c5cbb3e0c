"""What the channel adapters share: webhook base, limits, texts, pseudonyms, per-sender state."""
