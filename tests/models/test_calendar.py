"""WorkingDayCalendar on the real Thai government calendar of fiscal years 2567 and 2568 BE.

Every expected value below was worked out by hand from the Thai official/government holidays of
1 Oct 2023 - 30 Sep 2025 (public holidays, their substitution days and the cabinet's bridge days),
not copied from what the code returns. The days the cases rely on:

    FY 2567 (Oct 2023 - Sep 2024)                  FY 2568 (Oct 2024 - Sep 2025)
    Fri 13 Oct 2023  King Bhumibol Memorial Day    Sun 13 Oct 2024 -> Mon 14 Oct substitution
    Tue  5 Dec 2023  National Day / Father's Day   Wed 23 Oct 2024  Chulalongkorn Day
    Sun 10 Dec 2023 -> Mon 11 Dec substitution     Fri 15 Nov 2024  Loy Krathong (a WORKING day)
    Mon 27 Nov 2023  Loy Krathong (a WORKING day)  Mon 30 Dec 2024  cabinet bridge day
    Fri 29 Dec 2023  cabinet bridge day            Tue 31 Dec 2024, Wed 1 Jan 2025
    Mon  1 Jan 2024  New Year's Day                Wed 12 Feb 2025  Makha Bucha
    Sat 24 Feb 2024 -> Mon 26 Feb substitution     Sun 13 - Tue 15 Apr 2025 Songkran,
      (26 Feb is also Artists' Day, an observance)   Wed 16 Apr substitution
    Sat  6 Apr 2024 -> Mon 8 Apr substitution      Mon 2 Jun 2025 bridge, Tue 3 Jun Queen's Birthday
    Fri 12 Apr 2024  cabinet bridge day            Mon 11 Aug 2025 bridge, Tue 12 Aug Mother's Day
    Sat 13 - Mon 15 Apr 2024 Songkran, Tue 16 Apr substitution
    Sat 4 May 2024 -> Mon 6 May substitution       Fri 9 May 2025 Royal Ploughing (government)
    Fri 10 May 2024  Royal Ploughing (government)  Sun 11 May 2025 -> Mon 12 May substitution
    Sat 20 / Sun 21 Jul 2024 -> Mon 22 Jul substitution
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kpi6.models.calendar import BANGKOK, WorkingDayCalendar, bangkok_date


@pytest.fixture(scope="session", autouse=True)
def prefect_harness():  # type: ignore[no-untyped-def]
    """Overrides conftest's session-wide Prefect harness: these tests are pure and need no server."""
    yield


CAL = WorkingDayCalendar()
D = date


def case(deadline: date, submitted: date | datetime, expected: int, id: str):
    return pytest.param(deadline, submitted, expected, id=id)


# ---------------------------------------------------------------------------------------------
# working_days_late on plain dates
# ---------------------------------------------------------------------------------------------

LATE_CASES = [
    # An ordinary deadline: Friday 9 Feb 2024 (Form 1 of round 2567-1); no holiday near it.
    case(D(2024, 2, 9), D(2024, 2, 8), 0, "ordinary-day-before-deadline"),
    case(D(2024, 2, 9), D(2024, 2, 9), 0, "ordinary-on-deadline"),
    case(D(2024, 2, 9), D(2024, 2, 10), 0, "ordinary-saturday-after-friday-deadline"),
    case(D(2024, 2, 9), D(2024, 2, 11), 0, "ordinary-sunday-after-friday-deadline"),
    case(D(2024, 2, 9), D(2024, 2, 12), 1, "ordinary-monday-after-friday-deadline"),
    case(D(2024, 2, 9), D(2024, 2, 14), 3, "ordinary-wednesday-next-week"),
    case(D(2024, 2, 9), D(2024, 2, 16), 5, "ordinary-one-full-week"),
    # Deadline Wednesday 7 Feb 2024: the next day is 1 late.
    case(D(2024, 2, 7), D(2024, 2, 8), 1, "midweek-day-after-deadline"),
    # Submitted long before the deadline: never negative.
    case(D(2023, 12, 8), D(2023, 11, 1), 0, "weeks-early-is-zero"),
    # A public holiday on a weekday: Tue 5 Dec 2023.
    case(D(2023, 12, 4), D(2023, 12, 5), 0, "national-day-2023-is-holiday"),
    case(D(2023, 12, 4), D(2023, 12, 6), 1, "day-after-national-day-2023"),
    # King Bhumibol Memorial Day, Fri 13 Oct 2023.
    case(D(2023, 10, 12), D(2023, 10, 13), 0, "bhumibol-memorial-2023-friday"),
    case(D(2023, 10, 12), D(2023, 10, 16), 1, "monday-after-bhumibol-memorial-2023"),
    # Substitution day: Constitution Day Sun 10 Dec 2023 -> Mon 11 Dec 2023.
    case(D(2023, 12, 8), D(2023, 12, 9), 0, "constitution-2023-saturday"),
    case(D(2023, 12, 8), D(2023, 12, 10), 0, "constitution-day-2023-sunday"),
    case(D(2023, 12, 8), D(2023, 12, 11), 0, "constitution-2023-substitution-monday"),
    case(D(2023, 12, 8), D(2023, 12, 12), 1, "constitution-2023-tuesday-after-substitution"),
    case(D(2023, 12, 8), D(2023, 12, 13), 2, "constitution-2023-wednesday-after-substitution"),
    # Cabinet bridge day Fri 29 Dec 2023, then weekend, New Year's Eve (Sun) and New Year's Day (Mon).
    case(D(2023, 12, 28), D(2023, 12, 29), 0, "bridge-2023-12-29"),
    case(D(2023, 12, 28), D(2024, 1, 1), 0, "bridge-through-new-year-2024"),
    # 2 Jan 2024 was an ordinary working day (no in-lieu day for New Year's Eve 2023, which the
    # holidays package encodes as an explicit exception).
    case(D(2023, 12, 28), D(2024, 1, 2), 1, "first-working-day-of-2024"),
    case(D(2023, 12, 27), D(2023, 12, 28), 1, "thursday-before-bridge-2023"),
    # An observance that is a working day: Loy Krathong, Monday 27 Nov 2023.
    case(D(2023, 11, 24), D(2023, 11, 27), 1, "loy-krathong-2023-monday-is-workday"),
    case(D(2023, 11, 24), D(2023, 11, 28), 2, "day-after-loy-krathong-2023"),
    # 26 Feb 2024: Artists' Day (workday observance) AND Makha Bucha substitution -> holiday.
    case(D(2024, 2, 23), D(2024, 2, 24), 0, "makha-bucha-2024-saturday"),
    case(D(2024, 2, 23), D(2024, 2, 26), 0, "makha-bucha-2024-substitution-and-artists-day"),
    case(D(2024, 2, 23), D(2024, 2, 27), 1, "day-after-makha-bucha-2024-substitution"),
    # Chakri Day Sat 6 Apr 2024 -> Mon 8 Apr 2024.
    case(D(2024, 4, 5), D(2024, 4, 8), 0, "chakri-2024-substitution-monday"),
    case(D(2024, 4, 5), D(2024, 4, 9), 1, "day-after-chakri-2024-substitution"),
    # Songkran 2024: bridge Fri 12 Apr, Sat 13 - Mon 15 Apr, Tue 16 Apr substitution.
    case(D(2024, 4, 10), D(2024, 4, 11), 1, "thursday-before-songkran-2024"),
    case(D(2024, 4, 11), D(2024, 4, 12), 0, "songkran-2024-bridge-friday"),
    case(D(2024, 4, 11), D(2024, 4, 13), 0, "songkran-2024-saturday"),
    case(D(2024, 4, 11), D(2024, 4, 15), 0, "songkran-2024-monday"),
    case(D(2024, 4, 11), D(2024, 4, 16), 0, "songkran-2024-substitution-tuesday"),
    case(D(2024, 4, 11), D(2024, 4, 17), 1, "wednesday-after-songkran-2024"),
    case(D(2024, 4, 11), D(2024, 4, 19), 3, "friday-after-songkran-2024"),
    # Asarnha Bucha Sat 20 Jul + Buddhist Lent Sun 21 Jul 2024 -> Mon 22 Jul substitution.
    case(D(2024, 7, 19), D(2024, 7, 22), 0, "asarnha-2024-substitution-monday"),
    case(D(2024, 7, 19), D(2024, 7, 23), 1, "day-after-asarnha-2024-substitution"),
    # Coronation Day Sat 4 May 2024 -> Mon 6 May 2024 substitution.
    case(D(2024, 5, 3), D(2024, 5, 6), 0, "coronation-2024-substitution-monday"),
    case(D(2024, 5, 3), D(2024, 5, 7), 1, "day-after-coronation-2024-substitution"),
    # Royal Ploughing Ceremony Fri 10 May 2024: a government (not private-sector) holiday.
    case(D(2024, 5, 9), D(2024, 5, 10), 0, "royal-ploughing-2024-government-holiday"),
    case(D(2024, 5, 9), D(2024, 5, 13), 1, "monday-after-royal-ploughing-2024"),
    # FY 2568: King Bhumibol Memorial Day Sun 13 Oct 2024 -> Mon 14 Oct 2024.
    case(D(2024, 10, 11), D(2024, 10, 14), 0, "bhumibol-memorial-2024-substitution"),
    case(D(2024, 10, 11), D(2024, 10, 15), 1, "day-after-bhumibol-memorial-2024-substitution"),
    # Chulalongkorn Day Wed 23 Oct 2024.
    case(D(2024, 10, 22), D(2024, 10, 23), 0, "chulalongkorn-2024-wednesday"),
    case(D(2024, 10, 22), D(2024, 10, 24), 1, "day-after-chulalongkorn-2024"),
    # Loy Krathong Fri 15 Nov 2024 is a working day.
    case(D(2024, 11, 14), D(2024, 11, 15), 1, "loy-krathong-2024-friday-is-workday"),
    # Cabinet bridge Mon 30 Dec 2024, New Year's Eve Tue 31 Dec, New Year's Day Wed 1 Jan 2025.
    case(D(2024, 12, 27), D(2024, 12, 30), 0, "bridge-2024-12-30"),
    case(D(2024, 12, 27), D(2025, 1, 1), 0, "bridge-through-new-year-2025"),
    case(D(2024, 12, 27), D(2025, 1, 2), 1, "first-working-day-of-2025"),
    # Makha Bucha Wed 12 Feb 2025.
    case(D(2025, 2, 11), D(2025, 2, 12), 0, "makha-bucha-2025-wednesday"),
    case(D(2025, 2, 11), D(2025, 2, 13), 1, "day-after-makha-bucha-2025"),
    # Songkran 2025: Sun 13 - Tue 15 Apr, Wed 16 Apr substitution.
    case(D(2025, 4, 11), D(2025, 4, 14), 0, "songkran-2025-monday"),
    case(D(2025, 4, 11), D(2025, 4, 16), 0, "songkran-2025-substitution-wednesday"),
    case(D(2025, 4, 11), D(2025, 4, 17), 1, "thursday-after-songkran-2025"),
    # Royal Ploughing Fri 9 May 2025, weekend, Visakha Bucha Sun 11 May -> Mon 12 May substitution.
    case(D(2025, 5, 8), D(2025, 5, 9), 0, "royal-ploughing-2025-government-holiday"),
    case(D(2025, 5, 8), D(2025, 5, 12), 0, "visakha-bucha-2025-substitution-monday"),
    case(D(2025, 5, 8), D(2025, 5, 13), 1, "tuesday-after-visakha-bucha-2025"),
    # Bridge Mon 2 Jun 2025 + Queen Suthida's Birthday Tue 3 Jun 2025.
    case(D(2025, 5, 30), D(2025, 6, 3), 0, "bridge-and-queens-birthday-2025"),
    case(D(2025, 5, 30), D(2025, 6, 4), 1, "day-after-queens-birthday-2025"),
    # Bridge Mon 11 Aug 2025 + Mother's Day Tue 12 Aug 2025.
    case(D(2025, 8, 8), D(2025, 8, 12), 0, "bridge-and-mothers-day-2025"),
    case(D(2025, 8, 8), D(2025, 8, 13), 1, "day-after-mothers-day-2025"),
    # Last day of FY 2568 (Tue 30 Sep 2025).
    case(D(2025, 9, 26), D(2025, 9, 30), 2, "end-of-fiscal-year-2568"),
]


@pytest.mark.parametrize(("deadline", "submitted", "expected"), LATE_CASES)
def test_working_days_late_on_real_thai_calendar(deadline: date, submitted: date, expected: int) -> None:
    assert CAL.working_days_late(deadline, submitted) == expected


NOT_WORKING = [
    pytest.param(D(2023, 12, 5), id="national-day-2023"),
    pytest.param(D(2023, 12, 11), id="constitution-2023-substitution"),
    pytest.param(D(2023, 12, 29), id="bridge-2023-12-29"),
    pytest.param(D(2024, 1, 1), id="new-year-2024"),
    pytest.param(D(2024, 2, 26), id="makha-bucha-2024-substitution-also-artists-day"),
    pytest.param(D(2024, 4, 12), id="bridge-2024-04-12"),
    pytest.param(D(2024, 4, 13), id="songkran-2024-13"),
    pytest.param(D(2024, 4, 14), id="songkran-2024-14"),
    pytest.param(D(2024, 4, 15), id="songkran-2024-15"),
    pytest.param(D(2024, 4, 16), id="songkran-2024-16-substitution"),
    pytest.param(D(2024, 5, 1), id="labour-day-2024"),
    pytest.param(D(2024, 5, 10), id="royal-ploughing-2024"),
    pytest.param(D(2025, 5, 9), id="royal-ploughing-2025"),
    pytest.param(D(2024, 12, 30), id="bridge-2024-12-30"),
    pytest.param(D(2025, 6, 2), id="bridge-2025-06-02"),
    pytest.param(D(2025, 8, 11), id="bridge-2025-08-11"),
    pytest.param(D(2024, 2, 10), id="plain-saturday"),
    pytest.param(D(2024, 2, 11), id="plain-sunday"),
]

WORKING = [
    pytest.param(D(2023, 11, 27), id="loy-krathong-2023"),
    pytest.param(D(2024, 11, 15), id="loy-krathong-2024"),
    pytest.param(D(2024, 1, 17), id="ramkhamhaeng-day-2024-observance"),
    pytest.param(D(2024, 3, 8), id="womens-day-2024-observance"),
    pytest.param(D(2024, 1, 2), id="2-jan-2024"),
    pytest.param(D(2023, 12, 12), id="after-constitution-substitution"),
    pytest.param(D(2024, 4, 11), id="thursday-before-songkran-2024"),
    pytest.param(D(2024, 4, 17), id="wednesday-after-songkran-2024"),
    pytest.param(D(2024, 2, 9), id="plain-friday"),
]


@pytest.mark.parametrize("day", NOT_WORKING)
def test_not_a_working_day(day: date) -> None:
    assert not CAL.is_working_day(day)
    assert CAL.holiday_name(day)  # a reason is given


@pytest.mark.parametrize("day", WORKING)
def test_a_working_day(day: date) -> None:
    assert CAL.is_working_day(day)
    assert CAL.holiday_name(day) is None


def test_weekend_names_are_thai() -> None:
    assert CAL.holiday_name(D(2024, 2, 10)) == "วันเสาร์"
    assert CAL.holiday_name(D(2024, 2, 11)) == "วันอาทิตย์"


def test_holiday_names_come_in_the_requested_language() -> None:
    en = WorkingDayCalendar(language="en_US")
    assert "Constitution" in (en.holiday_name(D(2023, 12, 11)) or "")
    assert "Songkran" in (en.holiday_name(D(2024, 4, 15)) or "")


def test_fiscal_year_2567_has_the_expected_number_of_working_days() -> None:
    """Count of Mon-Fri minus the weekday government holidays, by hand, for Oct-Dec 2023.

    Oct 2023: 22 weekdays - 13 Oct - 23 Oct = 20; Nov 2023: 22 weekdays (Loy Krathong works) = 22;
    Dec 2023: 21 weekdays - 5, 11, 29 Dec = 18. Total 60.
    """
    assert CAL.working_days_after(D(2023, 9, 30), D(2023, 12, 31)) == 60


# ---------------------------------------------------------------------------------------------
# A round's extra holidays and extra working days
# ---------------------------------------------------------------------------------------------

# Wednesday 17 Jan 2024 (an ordinary working day) declared a holiday by the cabinet after release.
EXTRA_HOLIDAY = D(2024, 1, 17)
# Saturday 20 Jan 2024 declared a working day.
EXTRA_WORKDAY = D(2024, 1, 20)
ROUND_CAL = WorkingDayCalendar(
    extra_holidays={EXTRA_HOLIDAY: "วันหยุดพิเศษ (มติคณะรัฐมนตรี)"},
    extra_working_days=[EXTRA_WORKDAY],
)


@pytest.mark.parametrize(
    ("deadline", "submitted", "with_extras", "without_extras"),
    [
        pytest.param(D(2024, 1, 16), D(2024, 1, 16), 0, 0, id="extra-holiday-deadline-day"),
        pytest.param(D(2024, 1, 16), D(2024, 1, 17), 0, 1, id="extra-holiday-wednesday-skipped"),
        pytest.param(D(2024, 1, 16), D(2024, 1, 18), 1, 2, id="thursday-after-extra-holiday"),
        pytest.param(D(2024, 1, 18), D(2024, 1, 19), 1, 1, id="friday-unaffected"),
        pytest.param(D(2024, 1, 19), D(2024, 1, 20), 1, 0, id="extra-working-saturday-counts"),
        pytest.param(D(2024, 1, 19), D(2024, 1, 21), 1, 0, id="sunday-after-extra-working-saturday"),
        pytest.param(D(2024, 1, 19), D(2024, 1, 22), 2, 1, id="monday-after-extra-working-saturday"),
        pytest.param(D(2024, 1, 12), D(2024, 1, 19), 4, 5, id="week-with-extra-holiday"),
        pytest.param(D(2024, 1, 12), D(2024, 1, 22), 6, 6, id="extras-cancel-out"),
    ],
)
def test_round_extra_days(deadline: date, submitted: date, with_extras: int, without_extras: int) -> None:
    assert ROUND_CAL.working_days_late(deadline, submitted) == with_extras
    assert CAL.working_days_late(deadline, submitted) == without_extras


def test_extra_holiday_gives_its_name() -> None:
    assert ROUND_CAL.holiday_name(EXTRA_HOLIDAY) == "วันหยุดพิเศษ (มติคณะรัฐมนตรี)"
    assert ROUND_CAL.is_working_day(EXTRA_WORKDAY)


def test_extra_working_day_overrides_a_thai_holiday() -> None:
    """A day the round declares a working day counts even if the package lists it as a holiday."""
    cal = WorkingDayCalendar(extra_working_days=[D(2023, 12, 29)])
    assert cal.is_working_day(D(2023, 12, 29))
    assert cal.working_days_late(D(2023, 12, 28), D(2023, 12, 29)) == 1
    assert CAL.working_days_late(D(2023, 12, 28), D(2023, 12, 29)) == 0


def test_counting_working_days_agrees_with_walking_them_day_by_day() -> None:
    """`working_days_after` counts (weekdays less closed weekdays plus weekend working days); walking the span
    and asking `is_working_day` of each day gives the same number, for 2,000 random spans over four years and a
    calendar whose additions overlap: an extra holiday on a weekday, on a Thai holiday and on a weekend; an extra
    working day on a Saturday, on a Thai holiday and on an ordinary weekday."""
    import random

    cal = WorkingDayCalendar(
        extra_holidays={D(2024, 2, 12): "พิเศษ", D(2024, 4, 15): "ซ้ำ", D(2024, 3, 9): "เสาร์"},
        extra_working_days=[D(2024, 3, 16), D(2023, 12, 29), D(2024, 1, 9)],
    )

    def walked(start: date, end: date) -> int:
        return sum(cal.is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))

    rng = random.Random(18)
    first = D(2022, 10, 1)
    for _ in range(2000):
        start = first + timedelta(days=rng.randrange(1400))
        end = start + timedelta(days=rng.randrange(-5, 400))
        assert cal.working_days_after(start, end) == walked(start, end), (start, end)
    assert (
        cal.working_days_after(D(2024, 3, 8), D(2024, 3, 18)) == walked(D(2024, 3, 8), D(2024, 3, 18)) == 7
    )  # 11–15, Sat 16, Mon 18


# ---------------------------------------------------------------------------------------------
# Timestamps: the Bangkok calendar date counts
# ---------------------------------------------------------------------------------------------

NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("deadline", "submitted", "expected"),
    [
        case(D(2023, 12, 8), datetime(2023, 12, 11, 17, 30, tzinfo=UTC), 1, "utc-1730-is-next-day-in-bangkok"),
        case(D(2023, 12, 8), datetime(2023, 12, 11, 16, 59, tzinfo=UTC), 0, "utc-1659-is-same-day-in-bangkok"),
        case(D(2023, 12, 8), datetime(2023, 12, 11, 17, 0, tzinfo=UTC), 1, "utc-1700-is-bangkok-midnight"),
        case(D(2023, 12, 8), datetime(2023, 12, 11, 23, 30), 0, "naive-is-bangkok-not-utc"),
        case(D(2023, 12, 8), datetime(2023, 12, 12, 0, 30), 1, "naive-just-after-midnight"),
        case(D(2023, 12, 8), datetime(2023, 12, 11, 23, 59, tzinfo=BANGKOK), 0, "bangkok-aware-2359"),
        case(D(2023, 12, 8), datetime(2023, 12, 12, 0, 0, tzinfo=BANGKOK), 1, "bangkok-aware-midnight"),
        # 12:00 in New York (EST, UTC-5) on 11 Dec = 17:00 UTC = 00:00 on 12 Dec in Bangkok.
        case(D(2023, 12, 8), datetime(2023, 12, 11, 12, 0, tzinfo=NEW_YORK), 1, "new-york-noon"),
        case(D(2024, 2, 9), datetime(2024, 2, 9, 16, 30, tzinfo=BANGKOK), 0, "deadline-afternoon"),
        case(D(2024, 2, 9), datetime(2024, 2, 9, 23, 59, 59), 0, "deadline-last-second-naive"),
        case(D(2024, 2, 9), datetime(2024, 2, 9, 17, 30, tzinfo=UTC), 0, "utc-evening-is-bangkok-saturday"),
        case(D(2024, 2, 9), datetime(2024, 2, 11, 16, 59, 59, tzinfo=UTC), 0, "utc-is-still-bangkok-sunday"),
        case(D(2024, 2, 9), datetime(2024, 2, 11, 17, 0, tzinfo=UTC), 1, "utc-is-bangkok-monday"),
        case(D(2024, 2, 9), datetime(2024, 2, 1, 9, 0, tzinfo=UTC), 0, "early-timestamp"),
    ],
)
def test_timestamps_count_by_bangkok_date(deadline: date, submitted: datetime, expected: int) -> None:
    assert CAL.working_days_late(deadline, submitted) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(datetime(2023, 12, 11, 17, 30, tzinfo=UTC), D(2023, 12, 12), id="utc-after-1700"),
        pytest.param(datetime(2023, 12, 11, 16, 59, tzinfo=UTC), D(2023, 12, 11), id="utc-before-1700"),
        pytest.param(datetime(2023, 12, 11, 23, 30), D(2023, 12, 11), id="naive-is-bangkok"),
        pytest.param(D(2023, 12, 11), D(2023, 12, 11), id="plain-date"),
    ],
)
def test_bangkok_date(moment: date | datetime, expected: date) -> None:
    result = bangkok_date(moment)
    assert result == expected
    assert type(result) is date


# ---------------------------------------------------------------------------------------------
# shift_working_days
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        pytest.param(D(2024, 2, 7), 1, D(2024, 2, 8), id="plus-1-midweek"),
        pytest.param(D(2024, 2, 9), 1, D(2024, 2, 12), id="plus-1-over-weekend"),
        pytest.param(D(2023, 12, 8), 1, D(2023, 12, 12), id="plus-1-over-constitution-substitution"),
        pytest.param(D(2023, 12, 12), -1, D(2023, 12, 8), id="minus-1-over-constitution-substitution"),
        pytest.param(D(2023, 12, 4), 1, D(2023, 12, 6), id="plus-1-over-national-day"),
        pytest.param(D(2023, 12, 28), 1, D(2024, 1, 2), id="plus-1-over-bridge-and-new-year"),
        pytest.param(D(2024, 1, 2), -1, D(2023, 12, 28), id="minus-1-over-new-year-and-bridge"),
        pytest.param(D(2024, 4, 11), 1, D(2024, 4, 17), id="plus-1-over-songkran-2024"),
        pytest.param(D(2024, 4, 11), 2, D(2024, 4, 18), id="plus-2-over-songkran-2024"),
        pytest.param(D(2024, 4, 17), -1, D(2024, 4, 11), id="minus-1-over-songkran-2024"),
        pytest.param(D(2024, 2, 27), -3, D(2024, 2, 21), id="minus-3-over-makha-bucha-substitution"),
        pytest.param(D(2024, 2, 23), 1, D(2024, 2, 27), id="plus-1-over-makha-bucha-substitution"),
        pytest.param(D(2023, 11, 24), 1, D(2023, 11, 27), id="plus-1-lands-on-loy-krathong"),
        pytest.param(D(2025, 5, 30), 1, D(2025, 6, 4), id="plus-1-over-june-2025-bridge"),
        pytest.param(D(2025, 4, 11), 1, D(2025, 4, 17), id="plus-1-over-songkran-2025"),
        pytest.param(D(2024, 2, 9), 5, D(2024, 2, 16), id="plus-5-is-a-week"),
        pytest.param(D(2024, 2, 9), -5, D(2024, 2, 2), id="minus-5-is-a-week"),
        pytest.param(D(2024, 4, 15), 0, D(2024, 4, 15), id="zero-keeps-even-a-holiday"),
    ],
)
def test_shift_working_days(start: date, n: int, expected: date) -> None:
    assert CAL.shift_working_days(start, n) == expected


def test_shift_with_round_extras() -> None:
    # Tue 16 Jan + 1 skips the extra holiday Wed 17 Jan; Fri 19 Jan + 1 lands on the extra working Saturday.
    assert ROUND_CAL.shift_working_days(D(2024, 1, 16), 1) == D(2024, 1, 18)
    assert ROUND_CAL.shift_working_days(D(2024, 1, 19), 1) == D(2024, 1, 20)
    assert ROUND_CAL.shift_working_days(D(2024, 1, 22), -1) == D(2024, 1, 20)


def test_shift_and_lateness_agree_across_both_fiscal_years() -> None:
    """For every working day of FY 2567-2568, shifting n working days is exactly n days late."""
    day = D(2023, 10, 2)
    checked = 0
    while day <= D(2025, 9, 20):
        if CAL.is_working_day(day):
            for n in (1, 3):
                later = CAL.shift_working_days(day, n)
                assert CAL.is_working_day(later)
                assert CAL.working_days_late(day, later) == n
                assert CAL.working_days_late(day, later - timedelta(days=1)) == n - 1
                assert CAL.shift_working_days(later, -n) == day
            checked += 1
        day += timedelta(days=1)
    assert checked > 450
