#!/usr/bin/env python3
"""Independent reference implementation of Custodia's sentence computation.

docs/sentence.md ("Sentence computation") and docs/command-line.md (`custodia sentence --json`).
Python 3.11, standard library only. Written separately from the Rust code so the two can be
checked against each other through the data-driven fixtures in tests/fixtures/sentence/.

Usage:
    python3 tools/sentence_reference.py --start 2025-01-01 --term 60m \
        [--jail-credit N] [--gct-rate 54] [--gct-disallowed-days X] [--profile us-federal]
    python3 tools/sentence_reference.py --selfcheck       # published checks (+ `holidays` cross-check
                                                          #  when that PyPI package is installed)
    python3 tools/sentence_reference.py --check-fixtures tests/fixtures/sentence
                                                          # compare every fixture with this reference

The fixtures are hand-reviewed files; this tool only reads them, it never writes them.

Holidays follow the rules as docs/sentence.md states them (current 5 U.S.C. 6103(a), Monday holidays by
rule, MLK Day from 1986, Juneteenth from 2021, Veterans Day on the fourth Monday of October in
1971-1977). Dates before 1971 (Uniform Monday Holiday Act) are not modelled historically: the
Monday rules are applied to them too.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import functools
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

Date = dt.date
ONE_DAY = dt.timedelta(days=1)

PROFILES = ("us-federal", "two-thirds")
OUTPUT_KEYS = (
    "start_date",
    "full_term_date",
    "adjusted_full_term_date",
    "gct_days",
    "statutory_release_date",
    "projected_release_date",
    "already_due",
)


class InputError(ValueError):
    """Bad input, reported with the name of the field."""


# ---------------------------------------------------------------------------------------------
# Terms (docs/person-file.md): `<n>y<n>m<n>d`, optional components in this order, at least one; every number
# >= 0 and at least one > 0; `m` may exceed 11; neither `y` nor `m` written -> day-only; or `life`.

_TERM_RE = re.compile(r"(?:([0-9]+)y)?(?:([0-9]+)m)?(?:([0-9]+)d)?")


@dataclass(frozen=True)
class Term:
    years: int = 0
    months: int = 0
    days: int = 0
    day_only: bool = False
    life: bool = False


LIFE = Term(life=True)


def parse_term(text: str) -> Term:
    if text == "life":
        return LIFE
    m = _TERM_RE.fullmatch(text)
    if m is None or text == "":
        raise InputError(f"term: {text!r} is not <n>y<n>m<n>d (components in this order) or 'life'")
    y, mo, d = m.groups()
    values = [int(v) for v in (y, mo, d) if v is not None]
    if not values:
        raise InputError(f"term: {text!r} has no component")
    if all(v == 0 for v in values):
        raise InputError(f"term: {text!r} must have at least one number > 0")
    return Term(
        years=int(y) if y is not None else 0,
        months=int(mo) if mo is not None else 0,
        days=int(d) if d is not None else 0,
        day_only=(y is None and mo is None),
    )


# ---------------------------------------------------------------------------------------------
# Calendar helpers


def parse_date(text: str, field: str) -> Date:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise InputError(f"{field}: {text!r} is not a YYYY-MM-DD date")
    try:
        return Date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"{field}: {text!r} is not a valid date ({exc})") from None


def add_months(d: Date, n: int) -> Date:
    """d plus n calendar months; a day missing in the target month is clamped to its last day."""
    total = d.year * 12 + (d.month - 1) + n
    year, month0 = divmod(total, 12)
    month = month0 + 1
    last = calendar.monthrange(year, month)[1]
    return Date(year, month, min(d.day, last))


def nth_weekday(year: int, month: int, weekday: int, n: int) -> Date:
    """n-th (1-based) given weekday (Mon=0) of a month."""
    first = Date(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    return first + dt.timedelta(days=offset + 7 * (n - 1))


def last_weekday(year: int, month: int, weekday: int) -> Date:
    last = Date(year, month, calendar.monthrange(year, month)[1])
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


MON, THU, SAT, SUN = 0, 3, 5, 6


# ---------------------------------------------------------------------------------------------
# US federal holidays, 5 U.S.C. 6103(a), on their observed dates (6103(b) / E.O. 11582):
# Saturday -> Friday before (also across a year end), Sunday -> Monday after.
# Not Inauguration Day, not closures by executive order.


def federal_holidays_actual(year: int) -> list[tuple[Date, str]]:
    """The legal public holidays of `year` on their actual (unshifted) dates."""
    out = [(Date(year, 1, 1), "New Year's Day")]
    if year >= 1986:
        out.append((nth_weekday(year, 1, MON, 3), "Birthday of Martin Luther King, Jr."))
    out.append((nth_weekday(year, 2, MON, 3), "Washington's Birthday"))
    out.append((last_weekday(year, 5, MON), "Memorial Day"))
    if year >= 2021:
        out.append((Date(year, 6, 19), "Juneteenth National Independence Day"))
    out.append((Date(year, 7, 4), "Independence Day"))
    out.append((nth_weekday(year, 9, MON, 1), "Labor Day"))
    out.append((nth_weekday(year, 10, MON, 2), "Columbus Day"))
    if 1971 <= year <= 1977:
        out.append((nth_weekday(year, 10, MON, 4), "Veterans Day"))
    else:
        out.append((Date(year, 11, 11), "Veterans Day"))
    out.append((nth_weekday(year, 11, THU, 4), "Thanksgiving Day"))
    out.append((Date(year, 12, 25), "Christmas Day"))
    return out


def observed(d: Date) -> Date:
    if d.weekday() == SAT:
        return d - ONE_DAY
    if d.weekday() == SUN:
        return d + ONE_DAY
    return d


@functools.lru_cache(maxsize=512)
def _observed_by_holiday_year(year: int) -> dict[Date, str]:
    """Observed dates of the holidays *of* `year` (1 Jan on a Saturday gives 31 Dec of year-1)."""
    return {observed(d): name for d, name in federal_holidays_actual(year)}


def federal_holidays_observed_in(year: int) -> dict[Date, str]:
    """All observed federal holiday dates falling in calendar year `year`."""
    out: dict[Date, str] = {}
    for hy in (year, year + 1):
        for d, name in _observed_by_holiday_year(hy).items():
            if d.year == year:
                out[d] = name
    return dict(sorted(out.items()))


def holiday_name(d: Date) -> str | None:
    for hy in (d.year, d.year + 1):
        name = _observed_by_holiday_year(hy).get(d)
        if name is not None:
            return name
    return None


def is_non_working(d: Date) -> bool:
    return d.weekday() in (SAT, SUN) or holiday_name(d) is not None


# ---------------------------------------------------------------------------------------------
# docs/sentence.md


def iso(d: Date | None) -> str | None:
    return None if d is None else d.isoformat()


def compute(
    start: Date,
    term: Term,
    jail_credit_days: int = 0,
    gct_rate: int = 54,
    gct_disallowed_days: int = 0,
    profile: str = "us-federal",
) -> dict:
    if profile not in PROFILES:
        raise InputError(f"profile: {profile!r} is not one of {', '.join(PROFILES)}")
    for field, v in (
        ("jail_credit_days", jail_credit_days),
        ("gct_rate", gct_rate),
        ("gct_disallowed_days", gct_disallowed_days),
    ):
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise InputError(f"{field}: must be an integer >= 0, got {v!r}")

    S = start
    if term.life:  # step 8 / step 9
        return {
            "start_date": iso(S),
            "full_term_date": None,
            "adjusted_full_term_date": None,
            "gct_days": 0,
            "statutory_release_date": None,
            "projected_release_date": None,
            "already_due": False,
        }

    J = jail_credit_days
    try:
        # Step 1: full term (the commencement day is day 1).
        if term.day_only:
            FT = S + dt.timedelta(days=term.days - 1)
        else:
            FT = add_months(S, 12 * term.years + term.months) + dt.timedelta(days=term.days - 1)
        # Step 2.
        FTa = FT - dt.timedelta(days=J)

        if profile == "two-thirds":
            T = (FT - S).days + 1
            two_thirds = -((-2 * T) // 3)  # ceil(2T/3) in exact integer arithmetic
            statutory = S + dt.timedelta(days=two_thirds - 1 - J)
            already_due = statutory < S
            projected = S if already_due else statutory
            return {
                "start_date": iso(S),
                "full_term_date": iso(FT),
                "adjusted_full_term_date": iso(FTa),
                "gct_days": 0,
                "statutory_release_date": iso(statutory),
                "projected_release_date": iso(projected),
                "already_due": already_due,
            }

        # Step 3: GCT only for terms of more than one year.
        if term.day_only:
            qualifies = term.days > 365
        else:
            qualifies = FT >= add_months(S, 12)

        # Steps 4-5.
        gct = 0
        if qualifies:
            if term.day_only:
                W, P = divmod(term.days, 365)
            else:
                W = 0
                while add_months(S, 12 * (W + 1)) <= FT + ONE_DAY:
                    W += 1
                P = (FT - add_months(S, 12 * W)).days + 1
                assert P >= 0
            gct = W * gct_rate + (P * gct_rate) // 365
        G = gct - min(gct_disallowed_days, gct)

        # Step 6.
        R = FTa - dt.timedelta(days=G)
        if R < S:
            projected, already_due = S, True
        else:
            # Step 7: weekday rule, never before S.
            projected, already_due = R, False
            while is_non_working(projected):
                if projected - ONE_DAY < S:
                    projected = S
                    break
                projected -= ONE_DAY
    except (OverflowError, ValueError):  # datetime's limits: years 1..9999
        raise InputError("term: the dates fall outside the years 1-9999") from None

    return {
        "start_date": iso(S),
        "full_term_date": iso(FT),
        "adjusted_full_term_date": iso(FTa),
        "gct_days": G,
        "statutory_release_date": iso(R),
        "projected_release_date": iso(projected),
        "already_due": already_due,
    }


def compute_from_input(inp: dict) -> dict:
    """Fixture `input` object -> output object."""
    return compute(
        parse_date(inp["start"], "start"),
        parse_term(inp["term"]),
        inp["jail_credit_days"],
        inp["gct_rate"],
        inp["gct_disallowed_days"],
        inp["profile"],
    )


# ---------------------------------------------------------------------------------------------
# Self-checks

# docs/sentence.md "Published checks it must reproduce": (start, term, J, {key: published value}).
PUBLISHED = [
    ("2018-03-08", "67m", 337, {"gct_days": 301}),  # Catlin v. Hudson (D. Kan. 2020)
    ("2025-01-01", "60m", 0, {"full_term_date": "2029-12-31", "gct_days": 270,
                              "statutory_release_date": "2029-04-05",
                              "projected_release_date": "2029-04-05"}),
    ("2025-01-01", "120m", 0, {"gct_days": 540, "statutory_release_date": "2033-07-09",
                               "projected_release_date": "2033-07-08"}),
    ("2020-01-01", "24m", 0, {"gct_days": 108, "statutory_release_date": "2021-09-14",
                              "projected_release_date": "2021-09-14"}),
    ("2020-01-01", "26m", 0, {"gct_days": 116, "statutory_release_date": "2021-11-04",
                              "projected_release_date": "2021-11-04"}),
    ("2025-01-01", "12m", 0, {"gct_days": 0}),
]


def check_published() -> list[str]:
    problems = []
    for start, term, j, want in PUBLISHED:
        got = compute(parse_date(start, "start"), parse_term(term), j)
        for k, v in want.items():
            if got[k] != v:
                problems.append(f"published check {term} from {start} J={j}: {k} = {got[k]!r}, published {v!r}")
    return problems


# Names the `holidays` package uses for the eleven 6103(a) holidays (any "(observed)" suffix is
# stripped before the comparison). Anything else it returns is reported as non-federal and ignored.
_PKG_FEDERAL_NAMES = {
    "New Year's Day",
    "Martin Luther King Jr. Day",
    "Washington's Birthday",
    "Memorial Day",
    "Juneteenth National Independence Day",
    "Independence Day",
    "Labor Day",
    "Columbus Day",
    "Veterans Day",
    "Thanksgiving Day",
    "Thanksgiving",
    "Christmas Day",
}


def holidays_crosscheck(first: int = 1990, last: int = 2060) -> tuple[list[str], list[str]]:
    """Compare the observed weekday holidays with the PyPI `holidays` package, year by year.

    Both sides are reduced to observed dates on Monday-Friday (a holiday's actual date on a
    weekend is a non-working day anyway). Returns (differences, ignored non-federal entries).
    """
    import holidays  # noqa: PLC0415 - optional, only for this check

    diffs: list[str] = []
    ignored: list[str] = []
    for year in range(first, last + 1):
        mine = {d for d in federal_holidays_observed_in(year) if d.weekday() < 5}
        pkg = holidays.country_holidays("US", years=year)
        theirs = set()
        for d, names in sorted(pkg.items()):
            if d.year != year:
                continue
            federal = False
            for name in names.split("; "):
                base = name.replace(" (observed)", "").strip()
                if base in _PKG_FEDERAL_NAMES:
                    federal = True
                else:
                    ignored.append(f"{d} {name}")
            if federal and d.weekday() < 5:
                theirs.add(d)
        for d in sorted(mine - theirs):
            diffs.append(f"{d} ({d:%a}) {holiday_name(d)}: here, not in `holidays`")
        for d in sorted(theirs - mine):
            diffs.append(f"{d} ({d:%a}) {pkg.get(d)}: in `holidays`, not here")
    return diffs, ignored


def check_fixtures(directory: Path) -> list[str]:
    problems = []
    files = sorted(directory.glob("*.json"))
    if not files:
        problems.append(f"no fixtures in {directory}")
    for path in files:
        case = json.loads(path.read_text(encoding="utf-8"))
        keys = set(case)
        if keys != {"name", "source", "input", "expected"}:
            problems.append(f"{path.name}: top-level keys {sorted(keys)}")
            continue
        if set(case["input"]) != {"start", "term", "jail_credit_days", "gct_rate",
                                  "gct_disallowed_days", "profile"}:
            problems.append(f"{path.name}: input keys {sorted(case['input'])}")
        if list(case["expected"]) != list(OUTPUT_KEYS):
            problems.append(f"{path.name}: expected keys {list(case['expected'])}")
        got = compute_from_input(case["input"])
        if got != case["expected"]:
            for k in OUTPUT_KEYS:
                if got.get(k) != case["expected"].get(k):
                    problems.append(f"{path.name}: {k} expected {case['expected'].get(k)!r}, reference {got.get(k)!r}")
    return problems


# ---------------------------------------------------------------------------------------------
# CLI


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--start", help="commencement date S, YYYY-MM-DD")
    ap.add_argument("--term", help="term, e.g. 60m, 1y1d, 1291d, life")
    ap.add_argument("--jail-credit", type=int, default=0, help="jail credit J in days (0)")
    ap.add_argument("--gct-rate", type=int, default=54, help="GCT days per year r (54)")
    ap.add_argument("--gct-disallowed-days", type=int, default=0, help="GCT disallowed X days (0)")
    ap.add_argument("--profile", default="us-federal", help="us-federal | two-thirds")
    ap.add_argument("--json", action="store_true", help="accepted for parity with `custodia sentence`")
    ap.add_argument("--selfcheck", action="store_true",
                    help="reproduce the published checks; cross-check holidays 1990-2060 with the "
                         "`holidays` package if installed")
    ap.add_argument("--check-fixtures", metavar="DIR", help="compare every DIR/*.json fixture with this reference")
    args = ap.parse_args(argv)

    if args.selfcheck or args.check_fixtures:
        problems: list[str] = []
        if args.selfcheck:
            problems += check_published()
            print(f"published checks: {len(PUBLISHED)} cases, {len(check_published())} problems")
            try:
                diffs, ignored = holidays_crosscheck()
            except ImportError:
                print("holiday cross-check skipped: `holidays` package not installed")
            else:
                print(f"holiday cross-check 1990-2060: {len(diffs)} differences")
                for line in diffs:
                    print("  " + line)
                if ignored:
                    print(f"  ignored {len(ignored)} non-federal entries: {', '.join(ignored[:20])}")
                problems += diffs
        if args.check_fixtures:
            fp = check_fixtures(Path(args.check_fixtures))
            n = len(list(Path(args.check_fixtures).glob("*.json")))
            print(f"fixtures: {n} files, {len(fp)} problems")
            problems += fp
        for p in problems:
            print("PROBLEM: " + p, file=sys.stderr)
        return 1 if problems else 0

    if args.start is None or args.term is None:
        ap.error("--start and --term are required")
    try:
        out = compute(parse_date(args.start, "start"), parse_term(args.term), args.jail_credit,
                      args.gct_rate, args.gct_disallowed_days, args.profile)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
