"""The help directory: services, numbers and opening hours, read from content/resources.yml.

Numbers and hours live in exactly one place so that nothing the assistant says can drift from
its source. This module answers the two questions the actions ask: "which services fit who is
asking and the help they chose, in what order?" and "is this line open right now (UK time)?".
Bank holidays count as closed (no source gives these lines' bank-holiday hours), and hours not
verified at their source are only ever "usually" open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

RESOURCES_PATH = Path(__file__).resolve().parent.parent / "content" / "resources.yml"
UK = ZoneInfo("Europe/London")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class OpeningPeriod:
    """One set of days with the same opening times, e.g. Monday to Friday, 9am to 5pm."""

    days: tuple[str, ...]
    opens: time
    closes: time

    def is_open(self, moment: datetime) -> bool:
        """True when `moment` (any time zone) falls inside this period in UK time."""
        local = moment.astimezone(UK)
        return DAYS[local.weekday()] in self.days and self.opens <= local.time() < self.closes


@dataclass(frozen=True)
class Service:
    """What the assistant says about a service, from content/resources.yml.

    Who it is for, its source and the date it was last checked stay in the YAML for reviewers
    (tests/test_resources.py checks every entry has them). `verified` is kept because an
    unverified line may only be "usually" open.
    """

    key: str
    name: str
    verified: bool
    number: str = ""
    extension: str = ""
    hours: str = ""
    url: str = ""
    periods: tuple[OpeningPeriod, ...] = field(default_factory=tuple)

    @property
    def has_fixed_hours(self) -> bool:
        """Whether we know its opening times well enough to say if it is open now."""
        return bool(self.periods)

    def is_open(self, moment: datetime) -> bool:
        """True when the line is open at `moment`: never on a bank holiday (hours unknown)."""
        if is_bank_holiday(moment.astimezone(UK).date()):
            return False
        return any(period.is_open(moment) for period in self.periods)

    def next_opening(self, moment: datetime) -> datetime | None:
        """The next time (UK) the line opens after `moment`, within a fortnight; None if unknown.

        Bank holidays are skipped, so Easter and Christmas give the first working day after.
        """
        local = moment.astimezone(UK)
        for offset in range(15):
            day = local.date() + timedelta(days=offset)
            if is_bank_holiday(day):
                continue
            for period in self.periods:
                if DAYS[day.weekday()] not in period.days:
                    continue
                opening = datetime.combine(day, period.opens, tzinfo=UK)
                if opening > local:
                    return opening
        return None

    def contact(self) -> str:
        """How to reach it, as people should read it: the number, and extension if any."""
        if self.extension:
            return f"{self.number}, extension {self.extension}"
        return self.number

    def line(self) -> str:
        """One list line: name, number, hours (only when the source gives them), website."""
        text = self.name
        if self.number:
            text += f": {self.contact()}"
        if self.hours:
            text += f" ({self.hours})"
        if self.url:
            text += f", {self.url}" if self.number else f": {self.url}"
        return text


def _parse_time(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _service(key: str, entry: dict) -> Service:
    periods = tuple(
        OpeningPeriod(tuple(p["days"]), _parse_time(p["from"]), _parse_time(p["to"]))
        for p in entry.get("open", [])
    )
    return Service(
        key=key,
        name=entry["name"],
        verified=entry["verified"],
        number=str(entry.get("number", "")),
        extension=str(entry.get("extension", "")),
        hours=entry.get("hours", ""),
        url=entry.get("url", ""),
        periods=periods,
    )


@cache
def _raw(path: Path = RESOURCES_PATH) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@cache
def load_directory(path: Path = RESOURCES_PATH) -> dict[str, Service]:
    """Every service and website in the directory, by key. Read once per process."""
    raw = _raw(path)
    entries = {**raw.get("services", {}), **raw.get("websites", {})}
    return {key: _service(key, entry) for key, entry in entries.items()}


def get(key: str) -> Service:
    """One service by its key in content/resources.yml (KeyError if it is not there)."""
    return load_directory()[key]


def help_list(audience: str, kind: str) -> list[Service]:
    """What the "get help" flow lists for who it is for and the help chosen, in order.

    The order is the directory's `help_lists`: e.g. "talk" puts helplines first and leaves
    police numbers out, because many people choose it while not ready to go to the police.
    """
    lists = _raw()["help_lists"]
    by_kind = lists.get(audience, lists["self"])
    return [get(key) for key in by_kind.get(kind, by_kind["talk"])]


def bank_holidays() -> frozenset[date]:
    """England and Wales bank holidays (GOV.UK's dates, in content/resources.yml)."""
    return frozenset(_raw()["bank_holidays"])


def is_bank_holiday(day: date) -> bool:
    """Whether `day` is a bank holiday in England and Wales."""
    return day in bank_holidays()


def opening_status(service: Service, moment: datetime) -> str:
    """A sentence saying whether the line is open now and, if not, when it next opens.

    Hours not verified at their source are "usually" so; on a bank holiday the line may be
    closed, and we say so rather than guess.
    """
    usually = "" if service.verified else "usually "
    if not service.has_fixed_hours:
        return f"{service.name}: we don't have confirmed opening hours."
    if service.is_open(moment):
        return f"{service.name} is {usually}open at this time ({service.hours})."
    now_uk = moment.astimezone(UK)
    holiday = is_bank_holiday(now_uk.date())
    opening = service.next_opening(moment)
    if opening is None:
        return f"{service.name} is {usually}closed right now ({service.hours})."
    if opening.date() == now_uk.date():
        when = "today"
    elif opening.date() == now_uk.date() + timedelta(days=1):
        when = "tomorrow"
    else:
        when = f"on {DAY_NAMES[opening.weekday()]}"
    clock = opening.strftime("%-I:%M%p").lower().replace(":00", "")
    if holiday:
        return (f"Today is a bank holiday, so {service.name} may be closed. It {usually}opens "
                f"again {when} at {clock}.")
    return f"{service.name} is {usually}closed at this time. It {usually}opens {when} at {clock}."
