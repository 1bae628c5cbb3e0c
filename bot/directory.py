"""The help directory: services, numbers and opening hours, read from data/resources.yml.

Numbers and hours live in exactly one place so that nothing the assistant says can drift from
its source. This module answers the two questions the actions ask: "which services fit this
need?" and "is this line open right now (UK time)?".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

RESOURCES_PATH = Path(__file__).resolve().parent.parent / "data" / "resources.yml"
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
    """What the assistant says about a service, from data/resources.yml.

    Who it is for, its source and whether it is verified stay in the YAML for reviewers
    (tests/test_resources.py checks every entry has them); nothing in the code needs them.
    """

    key: str
    name: str
    needs: tuple[str, ...]
    number: str = ""
    extension: str = ""
    hours: str = ""
    periods: tuple[OpeningPeriod, ...] = field(default_factory=tuple)

    @property
    def has_fixed_hours(self) -> bool:
        """Whether we know its opening times well enough to say if it is open now."""
        return bool(self.periods)

    def is_open(self, moment: datetime) -> bool:
        """True when the line is open at `moment`. Only meaningful with fixed hours."""
        return any(period.is_open(moment) for period in self.periods)

    def next_opening(self, moment: datetime) -> datetime | None:
        """The next time (UK) the line opens after `moment`, within a week; None if unknown."""
        local = moment.astimezone(UK)
        for offset in range(8):
            day = local.date() + timedelta(days=offset)
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
        """One list line: name, number and hours (hours only when the source gives them)."""
        text = self.name
        if self.number:
            text += f": {self.contact()}"
        if self.hours:
            text += f" ({self.hours})"
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
        needs=tuple(entry.get("needs", [])),
        number=str(entry.get("number", "")),
        extension=str(entry.get("extension", "")),
        hours=entry.get("hours", ""),
        periods=periods,
    )


@cache
def load_directory(path: Path = RESOURCES_PATH) -> dict[str, Service]:
    """Every service and website in the directory, by key. Read once per process."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries = {**raw.get("services", {}), **raw.get("websites", {})}
    return {key: _service(key, entry) for key, entry in entries.items()}


def get(key: str) -> Service:
    """One service by its key in data/resources.yml (KeyError if it is not there)."""
    return load_directory()[key]


def services_for(needs: Iterable[str]) -> list[Service]:
    """Services matching any of `needs`, in the order the directory lists them."""
    wanted = set(needs)
    return [s for s in load_directory().values() if wanted.intersection(s.needs)]


def opening_status(service: Service, moment: datetime) -> str:
    """A sentence saying whether the line is open now and, if not, when it next opens."""
    if not service.has_fixed_hours:
        return f"{service.name}: we don't have confirmed opening hours."
    if service.is_open(moment):
        return f"{service.name} is open right now ({service.hours})."
    opening = service.next_opening(moment)
    if opening is None:
        return f"{service.name} is closed right now ({service.hours})."
    now_uk = moment.astimezone(UK)
    if opening.date() == now_uk.date():
        when = "today"
    elif opening.date() == now_uk.date() + timedelta(days=1):
        when = "tomorrow"
    else:
        when = f"on {DAY_NAMES[opening.weekday()]}"
    clock = opening.strftime("%-I:%M%p").lower().replace(":00", "")
    return f"{service.name} is closed right now. It opens {when} at {clock} ({service.hours})."
