"""Campaign insights without surveillance: aggregate counters, never conversations."""
