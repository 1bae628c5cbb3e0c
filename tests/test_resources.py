"""Every number and opening time the assistant says comes from content/resources.yml."""

from __future__ import annotations

import re
from datetime import date

import pytest
import yaml

from bot import directory
from tests.support import ROOT

SHARED = ROOT.parent / "shared"

# Figures in responses that are neither contact numbers nor dates, laws, ages or durations
# (below), each with where it comes from.
NOT_PHONE_NUMBERS = {
    "13", "18",  # mentoring for young men aged 13 to 18 (seed 001)
    "16",  # the legal definition starts at 16 (facts.md)
    "19",  # Childline is for under 19s (facts.md)
    "700",  # about 700 people contacted the Change Project (seed 004)
    "400",  # nearly 400 Clare's Law disclosures in its first months in Essex (seed 004)
    # Durations in the translations, whose unit words the pattern below does not know:
    "24",  # "24 hours a day": the lines marked 24/7 in content/resources.yml
    "14", "28",  # a DVPO lasts 14 to 28 days, decided within 48 hours (facts.md topic 3)
    "48",  # a Telegram bot can delete messages under 48 hours old (facts.md)
}
# A run of digits, possibly in groups ("0808 2000 247"), not glued to letters ("9am", "s.76")
# nor part of a time ("9.30am").
DIGIT_RUN = re.compile(r"(?<![\w.:])\d+(?: \d+)*(?![\w]|[.:]\d)")
CLOCK_TIME = re.compile(r"(?<![\w.:])\d{1,2}(?:[.:]\d\d)?(?:am|pm)\b")
MONTH = ("January|February|March|April|May|June|July|August|September|October|November"
         "|December")
# A date or the year a law dates from: "since 2015", "since April 2023", "31 January 2024",
# "Serious Crime Act 2015".
LAW_YEAR = re.compile(rf"\b(?:(?:[Ss]ince|Act)\s+(?:(?:\d{{1,2}}\s+)?(?:{MONTH})\s+)?"
                      rf"|(?:\d{{1,2}}\s+)?(?:{MONTH})\s+)((?:19|20)\d\d)\b")
# Not contact numbers either: "section 74", "aged 15", "about 2 minutes", "28 days".
SECTION_AGE_OR_DURATION = re.compile(
    r"\b(?:section|aged) \d+\b|\b\d+(?= (?:minutes?|hours?|days?|weeks?|months?)\b)")


def numbers_in(text: str) -> list[str]:
    """The runs of digits in `text` that could be contact numbers."""
    return DIGIT_RUN.findall(SECTION_AGE_OR_DURATION.sub("", LAW_YEAR.sub("", text)))


def response_texts() -> list[str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return [
        variant["text"]
        for variants in domain["responses"].values()
        for variant in variants
        if "text" in variant
    ]


def known_numbers() -> set[str]:
    numbers = set()
    for service in directory.load_directory().values():
        for value in (service.number, service.extension):
            if value:
                numbers.add(value.replace(" ", ""))
    return numbers


def test_every_number_in_a_response_is_in_the_directory() -> None:
    known = known_numbers()
    unknown = {
        run
        for text in response_texts()
        for run in numbers_in(text)
        if run.replace(" ", "") not in known and run not in NOT_PHONE_NUMBERS
    }
    assert not unknown, f"numbers not in content/resources.yml: {sorted(unknown)}"


def test_every_clock_time_in_a_response_is_a_stated_opening_time() -> None:
    stated = " ".join(s.hours for s in directory.load_directory().values())
    times = {t for text in response_texts() for t in CLOCK_TIME.findall(text)}
    assert times, "expected opening times in the responses"
    assert times <= set(CLOCK_TIME.findall(stated))


@pytest.mark.skipif(not (SHARED / "facts.md").exists(), reason="../shared is not beside this clone")
def test_every_date_a_response_states_is_in_the_shared_facts_or_seeds() -> None:
    sources = (SHARED / "facts.md").read_text(encoding="utf-8") + "".join(
        p.read_text(encoding="utf-8") for p in sorted((SHARED / "seeds").glob("*.txt")))
    years = {year for text in response_texts() for year in LAW_YEAR.findall(text)}
    assert years, "expected the years laws date from (coercive control: 2015)"
    assert {year for year in years if year not in sources} == set()


def test_numbers_are_written_the_same_way_as_in_the_directory() -> None:
    """A number split differently ("0808 200 0247") would slip past a digits-only check."""
    for service in directory.load_directory().values():
        if len(service.number.replace(" ", "")) < 6:
            continue
        digits = service.number.replace(" ", "")
        for text in response_texts():
            for run in DIGIT_RUN.findall(text):
                if run.replace(" ", "") == digits:
                    assert run == service.number, f"{run!r} should be written {service.number!r}"


def test_every_entry_has_a_source_a_verified_flag_and_the_date_it_was_checked() -> None:
    raw = yaml.safe_load((ROOT / "content" / "resources.yml").read_text(encoding="utf-8"))
    for key, entry in {**raw["services"], **raw["websites"]}.items():
        assert entry.get("source"), f"{key} has no source"
        assert isinstance(entry.get("verified"), bool), f"{key} needs verified: true|false"
        checked = entry.get("last_checked")
        assert isinstance(checked, date), f"{key} needs last_checked: YYYY-MM-DD"
        assert checked <= date.today(), f"{key} was checked in the future"


def test_every_unverified_entry_is_listed_for_checking_before_launch() -> None:
    checks = (ROOT / "docs" / "content-checks.md").read_text(encoding="utf-8")
    for key, service in directory.load_directory().items():
        if not service.verified:
            assert f"`{key}`" in checks, f"{key} is unverified: list it in docs/content-checks.md"


@pytest.mark.skipif(not (SHARED / "facts.md").exists(), reason="../shared is not beside this clone")
def test_every_directory_number_is_stated_in_the_shared_facts_or_seeds() -> None:
    sources = (SHARED / "facts.md").read_text(encoding="utf-8") + "".join(
        p.read_text(encoding="utf-8") for p in sorted((SHARED / "seeds").glob("*.txt"))
    )
    squashed = re.sub(r"(?<=\d) (?=\d)", "", sources)
    for number in known_numbers():
        assert number in squashed, f"{number} is not in shared/facts.md or the seeds"
