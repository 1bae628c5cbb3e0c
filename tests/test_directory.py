"""Opening hours in UK time: a person calling at the wrong time gets a closed line."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from bot import directory

UK = directory.UK


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UK)


def test_change_project_is_open_on_a_weekday_morning() -> None:
    change = directory.get("change_project")
    assert change.is_open(at(2026, 11, 23, 9, 0))  # Monday 9:00
    assert "usually open at this time" in directory.opening_status(change, at(2026, 11, 23, 16, 59))


def test_change_project_closes_at_five_and_says_when_it_opens() -> None:
    change = directory.get("change_project")
    friday_evening = at(2026, 11, 20, 17, 0)
    assert not change.is_open(friday_evening)
    assert "opens on Monday at 9am" in directory.opening_status(change, friday_evening)
    assert "opens tomorrow at 9am" in directory.opening_status(change, at(2026, 11, 24, 22, 0))
    assert "opens today at 9am" in directory.opening_status(change, at(2026, 11, 24, 7, 30))


def test_hours_follow_uk_summer_time() -> None:
    change = directory.get("change_project")
    # 08:30 UTC in July is 09:30 in the UK (BST): open. The same in January is 08:30: closed.
    assert change.is_open(datetime(2026, 7, 6, 8, 30, tzinfo=timezone.utc))
    assert not change.is_open(datetime(2026, 1, 5, 8, 30, tzinfo=timezone.utc))


def test_respect_closes_early_on_friday() -> None:
    respect = directory.get("respect_phoneline")
    assert respect.is_open(at(2026, 11, 19, 19, 30))  # Thursday
    assert not respect.is_open(at(2026, 11, 20, 19, 30))  # Friday


def test_services_without_confirmed_hours_never_claim_to_be_open() -> None:
    karma = directory.get("karma_nirvana")
    assert not karma.has_fixed_hours
    status = directory.opening_status(karma, at(2026, 11, 23, 12))
    assert "don't have confirmed opening hours" in status


def test_a_verified_line_is_open_without_usually() -> None:
    revenge = directory.get("revenge_porn_helpline")
    assert revenge.verified
    assert "is open at this time" in directory.opening_status(revenge, at(2026, 11, 23, 12))


def test_lines_are_closed_on_bank_holidays_and_open_the_next_working_day() -> None:
    change = directory.get("change_project")
    christmas = at(2026, 12, 25, 10)  # a Friday; Monday 28th is the Boxing Day substitute
    assert not change.is_open(christmas)
    assert change.next_opening(christmas) == at(2026, 12, 29, 9)
    status = directory.opening_status(change, christmas)
    assert "bank holiday" in status and "opens again on Tuesday at 9am" in status
    assert change.is_open(at(2026, 12, 29, 9))


def test_bank_holidays_are_known_for_at_least_the_next_90_days() -> None:
    """GOV.UK publishes the dates ahead: add next year's to content/resources.yml in time."""
    assert max(directory.bank_holidays()) >= date.today() + timedelta(days=90)


def test_help_lists_name_only_services_in_the_directory() -> None:
    own = [s.key for s in directory.help_list("own_behaviour", "talk")]
    assert own == ["change_project", "respect_phoneline"]
    assert directory.get("essex_da_cru").contact() == "101, extension 180340"
    for audience in ("self", "other", "own_behaviour"):
        for kind in ("talk", "report", "local"):
            assert directory.help_list(audience, kind)
