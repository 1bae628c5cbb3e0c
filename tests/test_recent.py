"""Per-person state in memory stays bounded."""

from bot.recent import Recent


def test_the_least_recently_set_entries_are_forgotten_first():
    recent: Recent[str, int] = Recent(limit=2)
    recent["a"], recent["b"] = 1, 2
    recent["a"] = 3  # "a" is now the most recent
    recent["c"] = 4
    assert dict(recent) == {"a": 3, "c": 4}
