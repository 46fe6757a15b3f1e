"""Thai government working days, and how many of them a submission is late. Pure: time is injected.

A working day is Monday to Friday that is not a public holiday, a substitution day or a government
holiday (cabinet bridge days, e.g. 29 Dec 2023) as the `holidays` package lists them, and not an
extra holiday of the round; an extra working day of the round is a working day whatever else it is.
Observances that the package files under its "workday" category (Loy Krathong, National Aviation
Day, ...) are ordinary working days for government offices, so that category is never used.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from functools import cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

BANGKOK = ZoneInfo("Asia/Bangkok")

# The categories whose days close government offices: "public" carries the official holidays,
# substitution days and cabinet bridge days (29 Dec 2023, 12 Apr 2024); "government" adds days only
# government offices close, such as the Royal Ploughing Ceremony (10 May 2024).
# (holidays.PUBLIC and holidays.GOVERNMENT: the package is imported when a calendar is first asked about a day, not
# by every command that imports this module for BANGKOK.)
GOVERNMENT_CLOSED_CATEGORIES: tuple[str, ...] = ("public", "government")


def bangkok_date(moment: date | datetime) -> date:
    """The calendar date in Bangkok of a date or timestamp; a timestamp without zone is Bangkok time."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            return moment.date()
        return moment.astimezone(BANGKOK).date()
    return moment


# Years whose days were built earlier by this same `holidays` package and kept (tasks/adapters/holiday_cache.py
# keeps them in a file: the package's import is most of a read-only command's own time).
_known: dict[tuple[int, str], Mapping[date, str]] = {}


def remember_thai_year(year: int, language: str, days: Mapping[date, str]) -> None:
    """Use `days` as the year's closed days instead of building them (they were built by thai_year before)."""
    _known.setdefault((year, language), MappingProxyType(dict(days)))


def thai_year(year: int, language: str = "th") -> Mapping[date, str]:
    """The days the `holidays` package closes government offices in `year`, by name."""
    return _thai_year(year, language)


@cache
def _thai_year(year: int, language: str) -> Mapping[date, str]:
    """The days the package closes government offices in one year, built once per process and never changed
    after: every calendar (a round's, each portal request's) shares them, from any thread. (One package object
    shared would fill in years as it was asked, changing under a thread iterating over it.)"""
    known = _known.get((year, language))
    if known is not None:
        return known
    import holidays

    closed = holidays.country_holidays("TH", years=year, categories=GOVERNMENT_CLOSED_CATEGORIES, language=language)
    return MappingProxyType(dict(closed))


class WorkingDayCalendar:
    """Working days for one round: the Thai holidays plus the round's late additions."""

    def __init__(
        self,
        extra_holidays: Mapping[date, str] | None = None,
        extra_working_days: Iterable[date] = (),
        language: str = "th",
    ) -> None:
        self.extra_holidays = dict(extra_holidays or {})
        self.extra_working_days = frozenset(extra_working_days)
        self.language = language
        self._after: dict[tuple[date, date], int] = {}  # DLA's table asks the same spans for 76 provinces

    def _thai(self, year: int) -> Mapping[date, str]:
        return _thai_year(year, self.language)

    def holiday_name(self, day: date) -> str | None:
        """Why `day` is not a working day, or None if it is one (weekends give a name too)."""
        if day in self.extra_working_days:
            return None
        if day in self.extra_holidays:
            return self.extra_holidays[day]
        name = self._thai(day.year).get(day)
        if name:
            return name
        if day.weekday() >= 5:
            return "วันเสาร์" if day.weekday() == 5 else "วันอาทิตย์"
        return None

    def is_working_day(self, day: date) -> bool:
        return self.holiday_name(day) is None

    def working_days_after(self, start: date, end: date) -> int:
        """How many working days d satisfy start < d <= end (0 when end <= start).

        Counted, not walked: the weekdays of the span, less the weekdays it closes (Thai and the round's extra
        holidays), plus the round's extra working days that fall on a weekend. A status years after a deadline
        asks this for every province and step; walking day by day took a second."""
        if end <= start:
            return 0
        known = self._after.get((start, end))
        if known is not None:
            return known
        weeks, rest = divmod((end - start).days, 7)
        count = 5 * weeks + sum((start + timedelta(days=i)).weekday() < 5 for i in range(1, rest + 1))
        thai = [d for year in range(start.year, end.year + 1) for d in self._thai(year)]
        closed = {d for d in (*thai, *self.extra_holidays) if start < d <= end}
        count -= sum(1 for d in closed if d.weekday() < 5 and d not in self.extra_working_days)
        count += sum(1 for d in self.extra_working_days if start < d <= end and d.weekday() >= 5)
        self._after[(start, end)] = count
        return count

    def shift_working_days(self, day: date, n: int) -> date:
        """The working day n working days after `day` (before it when n < 0); n=0 gives `day` itself."""
        step = 1 if n >= 0 else -1
        remaining = abs(n)
        while remaining:
            day += timedelta(days=step)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_late(self, deadline: date, submitted: date | datetime) -> int:
        """Working days d with deadline < d <= the submission's Bangkok date."""
        return self.working_days_after(deadline, bangkok_date(submitted))
