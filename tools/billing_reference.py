#!/usr/bin/env python3
"""Independent reference for `custodia invoice` (docs/billing.md Billing, docs/command-line.md the invoice contract).

    python3 tools/billing_reference.py --agreement A.toml --stays S.csv --period 2025-04 [--extras E.csv]
        # print the invoice JSON of docs/command-line.md (exit 2 and nothing on stdout for bad input)
    python3 tools/billing_reference.py --check [FIXTURE.toml ...]
        # recompute every fixture in tests/fixtures/billing/ and report any difference
    python3 tools/billing_reference.py --check --cli target/debug/custodia
        # ... and also run the binary on every fixture and compare it the same way
    python3 tools/billing_reference.py --expected FIXTURE.toml
        # print what the reference computes for one fixture, in the fixture's `expected_json` form
        # (an authoring aid: paste it only after checking it by hand)

Standard library only (Python 3.11+). Money is computed with integers and `fractions.Fraction`,
never floating point; a prorated amount is rounded once per line, half to even.

This is a second, independent reading of docs/billing.md; it does not look at the Rust code. Where the reference
leaves room, the reading used is:

- A stay covers admitted_on <= d < released_on; a stay with admitted_on == released_on covers that
  one day; an empty released_on is an open stay that covers every day from admitted_on on.
- The billing period is the calendar month clipped to [starts, ends] (ends inclusive). A month
  that does not meet the term is an error.
- per_capita: a stay starts coverage periods on admitted_on + k * coverage_days (k = 0, 1, ...)
  for every such day the stay covers (so a release exactly on an anniversary starts no new
  period). A period is charged in the billing period that contains its first day; periods
  starting before the agreement start are never charged. With an envelope, the CAPITA charges of
  all earlier billing periods (from the agreement start, computed from the same stays file) plus
  this period's are capped at envelope_minor: if they would exceed it, an ENVELOPE_LIMIT line
  (quantity 1, unit price = amount = the negative excess over what was left) follows the CAPITA
  line, with one warning. Once the envelope is spent the ENVELOPE_LIMIT line cancels the whole
  CAPITA line.
- Extras are billed in the billing period containing their date (one line per row, quantity 1,
  unit price = amount = amount_minor); extras of other months inside the term are ignored.
- Lines whose quantity and amount are both 0 are omitted; a line with quantity > 0 and amount 0 is
  kept. warnings: the reference emits one warning per ENVELOPE_LIMIT line and no other.
- Errors (exit 2, every problem on stderr, nothing on stdout): a stays or extras row with a bad
  date (not YYYY-MM-DD or not a real day), a facility not named by the agreement, a security class
  other than minimum/low/medium/high/maximum (exact, case-sensitive), an amount_minor that is not
  [1-9][0-9]*, a row with the wrong number of fields, a release before admission, an extra dated
  outside the term, a period that is not YYYY-MM or lies outside the term.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import datetime as dt
import io
import json
import re
import subprocess
import sys
import tempfile
import tomllib
from collections import Counter
from fractions import Fraction
from pathlib import Path
from typing import Any

TOOLS = Path(__file__).resolve().parent
REPO = TOOLS.parent
FIXTURES = REPO / "tests" / "fixtures" / "billing"
sys.path.insert(0, str(TOOLS))

import check_agreement_schema as schema  # noqa: E402

SECURITY_CLASSES = ("minimum", "low", "medium", "high", "maximum")
STAYS_COLUMNS = ("person_id", "facility_id", "security_class", "admitted_on", "released_on")
EXTRAS_COLUMNS = ("date", "code", "description", "amount_minor")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
PERIOD = re.compile(r"([0-9]{4})-([0-9]{2})")
AMOUNT = re.compile(r"[1-9][0-9]*")
ONE_DAY = dt.timedelta(days=1)


class InputError(Exception):
    """Bad input: the list of every problem found."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def round_half_even(x: Fraction) -> int:
    floor = x.numerator // x.denominator
    rest = x - floor
    if rest > Fraction(1, 2):
        return floor + 1
    if rest < Fraction(1, 2):
        return floor
    return floor if floor % 2 == 0 else floor + 1


def parse_date(text: str) -> dt.date | None:
    if not DATE.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def as_date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise ValueError(f"not a local date: {value!r}")


# --------------------------------------------------------------------------- input


def load_agreement(text: str) -> dict[str, Any]:
    doc = tomllib.loads(text)
    fees = doc["fees"]
    return {
        "id": doc["id"],
        "currency": doc["currency"],
        "starts": as_date(doc["starts"]),
        "ends": as_date(doc["ends"]),
        "facilities": {f["id"] for f in doc["facilities"]},
        "fees": fees,
    }


def read_csv(text: str, columns: tuple[str, ...], what: str, problems: list[str]) -> list[tuple[int, dict[str, str]]]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or rows[0] == []:
        problems.append(f"{what}: no header")
        return []
    header = rows[0]
    missing = [c for c in columns if c not in header]
    if missing:
        problems.append(f"{what}: header lacks {', '.join(missing)}")
        return []
    out = []
    for n, row in enumerate(rows[1:], 2):
        if row == []:
            continue  # a blank line
        if len(row) != len(header):
            problems.append(f"{what}:{n}: {len(row)} fields, header has {len(header)}")
            continue
        out.append((n, dict(zip(header, row))))
    return out


def read_stays(text: str, agreement: dict[str, Any], problems: list[str]) -> list[dict[str, Any]]:
    stays = []
    for n, row in read_csv(text, STAYS_COLUMNS, "stays", problems):
        bad = False
        if row["facility_id"] not in agreement["facilities"]:
            problems.append(f"stays:{n}: facility_id: {row['facility_id']!r} is not named by the agreement")
            bad = True
        if row["security_class"] not in SECURITY_CLASSES:
            problems.append(f"stays:{n}: security_class: {row['security_class']!r} is not one of {SECURITY_CLASSES}")
            bad = True
        admitted = parse_date(row["admitted_on"])
        if admitted is None:
            problems.append(f"stays:{n}: admitted_on: {row['admitted_on']!r} is not a date")
            bad = True
        released = None
        if row["released_on"] != "":
            released = parse_date(row["released_on"])
            if released is None:
                problems.append(f"stays:{n}: released_on: {row['released_on']!r} is not a date")
                bad = True
        if admitted is not None and released is not None and released < admitted:
            problems.append(f"stays:{n}: released_on: {released} is before admitted_on {admitted}")
            bad = True
        if not bad:
            stays.append({"class": row["security_class"], "admitted": admitted, "released": released})
    return stays


def read_extras(text: str, agreement: dict[str, Any], problems: list[str]) -> list[dict[str, Any]]:
    extras = []
    for n, row in read_csv(text, EXTRAS_COLUMNS, "extras", problems):
        bad = False
        day = parse_date(row["date"])
        if day is None:
            problems.append(f"extras:{n}: date: {row['date']!r} is not a date")
            bad = True
        elif not agreement["starts"] <= day <= agreement["ends"]:
            problems.append(f"extras:{n}: date: {day} is outside the agreement term")
            bad = True
        if not AMOUNT.fullmatch(row["amount_minor"]):
            problems.append(f"extras:{n}: amount_minor: {row['amount_minor']!r} is not a positive integer")
            bad = True
        if not bad:
            extras.append({"date": day, "code": row["code"], "description": row["description"],
                           "amount": int(row["amount_minor"])})
    return extras


def billing_period(period: str, agreement: dict[str, Any], problems: list[str]) -> tuple[dt.date, dt.date, int] | None:
    m = PERIOD.fullmatch(period)
    if m is None or not 1 <= int(m[2]) <= 12 or int(m[1]) < 1:
        problems.append(f"--period: {period!r} is not YYYY-MM")
        return None
    year, month = int(m[1]), int(m[2])
    month_days = calendar.monthrange(year, month)[1]
    lo = max(dt.date(year, month, 1), agreement["starts"])
    hi = min(dt.date(year, month, month_days), agreement["ends"])
    if lo > hi:
        problems.append(f"--period: {period} is outside the agreement term "
                        f"{agreement['starts']}..{agreement['ends']}")
        return None
    return lo, hi, month_days


# --------------------------------------------------------------------------- docs/billing.md


def days(lo: dt.date, hi: dt.date):
    d = lo
    while d <= hi:
        yield d
        d += ONE_DAY


def covers(stay: dict[str, Any], d: dt.date) -> bool:
    a, r = stay["admitted"], stay["released"]
    if d < a:
        return False
    if r is None:
        return True
    if r == a:
        return d == a
    return d < r


def coverage_starts(stay: dict[str, Any], coverage_days: int, lo: dt.date, hi: dt.date) -> int:
    """Coverage periods of one stay whose first day lies in [lo, hi]."""
    count = 0
    step = dt.timedelta(days=coverage_days)
    start = stay["admitted"]
    while start <= hi and covers(stay, start):
        if start >= lo:
            count += 1
        start += step
    return count


def line(code: str, description: str, quantity: int, unit: int, amount: int) -> dict[str, Any]:
    return {"code": code, "description": description, "quantity": quantity,
            "unit_price_minor": unit, "amount_minor": amount}


def invoice(agreement: dict[str, Any], stays: list[dict[str, Any]], extras: list[dict[str, Any]],
            period: str, lo: dt.date, hi: dt.date, month_days: int) -> dict[str, Any]:
    fees = agreement["fees"]
    model = fees["model"]
    covered_days = (hi - lo).days + 1
    pop = {d: sum(1 for s in stays if covers(s, d)) for d in days(lo, hi)}
    lines: list[dict[str, Any]] = []
    warnings: list[str] = []

    if model == "per_diem":
        rate = fees["rate_minor"]
        class_rates = fees.get("class_rates_minor", {})
        for cls in SECURITY_CLASSES:
            qty = sum(1 for d in days(lo, hi) for s in stays if s["class"] == cls and covers(s, d))
            price = class_rates.get(cls, rate)
            lines.append(line("PERSON_DAYS", f"person-days, {cls}", qty, price, qty * price))
        if "guaranteed_minimum_places" in fees:
            minimum = fees["guaranteed_minimum_places"]
            qty = sum(max(0, minimum - pop[d]) for d in pop)
            lines.append(line("MINIMUM_SHORTFALL", f"guaranteed minimum {minimum} places", qty, rate, qty * rate))
    elif model == "per_place_month":
        places, price = fees["reserved_places"], fees["place_month_minor"]
        amount = round_half_even(Fraction(places * price * covered_days, month_days))
        lines.append(line("RESERVED_PLACES", f"{places} places, {covered_days}/{month_days} days",
                          places, price, amount))
        extra = fees["extra_person_day_minor"]
        qty = sum(max(0, pop[d] - places) for d in pop)
        lines.append(line("EXTRA_PERSON_DAYS", "person-days above the reserved places", qty, extra, qty * extra))
    elif model == "per_capita":
        capita, coverage = fees["capita_minor"], fees["coverage_days"]
        qty = sum(coverage_starts(s, coverage, lo, hi) for s in stays)
        charge = qty * capita
        lines.append(line("CAPITA", f"coverage periods of {coverage} days", qty, capita, charge))
        if "envelope_minor" in fees and qty > 0:
            envelope = fees["envelope_minor"]
            before = capita * sum(coverage_starts(s, coverage, agreement["starts"], lo - ONE_DAY) for s in stays)
            left = max(0, envelope - before)
            if charge > left:
                cut = left - charge
                lines.append(line("ENVELOPE_LIMIT", "envelope reached", 1, cut, cut))
                warnings.append(f"envelope of {envelope} reached: {-cut} not billed")
    elif model == "lump_sum_year":
        year = fees["year_minor"]
        amount = round_half_even(Fraction(year * covered_days, 12 * month_days))
        lines.append(line("INSTALMENT", f"{covered_days}/{month_days} of a monthly instalment", 1, amount, amount))
    else:
        raise ValueError(f"unknown fee model {model!r}")

    for e in extras:
        if lo <= e["date"] <= hi:
            lines.append(line(f"EXTRA:{e['code']}", e["description"], 1, e["amount"], e["amount"]))

    lines = [l for l in lines if not (l["quantity"] == 0 and l["amount_minor"] == 0)]
    return {
        "agreement_id": agreement["id"],
        "period": period,
        "currency": agreement["currency"],
        "lines": lines,
        "total_minor": sum(l["amount_minor"] for l in lines),
        "person_days": sum(pop.values()),
        "warnings": warnings,
    }


def compute(agreement_text: str, stays_text: str, extras_text: str | None, period: str) -> dict[str, Any]:
    """The invoice, or InputError listing every problem."""
    agreement = load_agreement(agreement_text)
    problems: list[str] = []
    stays = read_stays(stays_text, agreement, problems)
    extras = read_extras(extras_text, agreement, problems) if extras_text is not None else []
    bp = billing_period(period, agreement, problems)
    if problems or bp is None:
        raise InputError(problems)
    return invoice(agreement, stays, extras, period, *bp)


# --------------------------------------------------------------------------- fixtures


def summary(inv: dict[str, Any]) -> dict[str, Any]:
    """The fixture form: lines without description, warnings as a count."""
    return {
        "agreement_id": inv["agreement_id"],
        "period": inv["period"],
        "currency": inv["currency"],
        "lines": [{k: l[k] for k in ("code", "quantity", "unit_price_minor", "amount_minor")} for l in inv["lines"]],
        "total_minor": inv["total_minor"],
        "person_days": inv["person_days"],
        "warnings": len(inv["warnings"]) if isinstance(inv["warnings"], list) else inv["warnings"],
    }


def line_key(l: dict[str, Any]) -> tuple:
    return (l.get("code"), l.get("quantity"), l.get("unit_price_minor"), l.get("amount_minor"))


def compare(expected: dict[str, Any], actual: dict[str, Any], who: str) -> list[str]:
    out = []
    for key in ("agreement_id", "period", "currency", "total_minor", "person_days"):
        if expected.get(key) != actual.get(key):
            out.append(f"{who}: {key}: expected {expected.get(key)!r}, got {actual.get(key)!r}")
    want_w = expected.get("warnings")
    got_w = actual.get("warnings")
    got_n = len(got_w) if isinstance(got_w, list) else got_w
    if want_w != got_n:
        out.append(f"{who}: warnings: expected {want_w}, got {got_n} ({got_w!r})")
    want = Counter(line_key(l) for l in expected.get("lines", []))
    got = Counter(line_key(l) for l in actual.get("lines", []) or [])
    if want != got:
        out.append(f"{who}: lines: missing {sorted((want - got).elements())}, "
                   f"unexpected {sorted((got - want).elements())}")
    return out


FIXTURE_KEYS = {"name", "note", "period", "agreement", "stays"}
FIXTURE_OPTIONAL = {"extras"}
FIXTURE_RESULT = {"expected_json", "expected_exit"}


def load_fixture(path: Path) -> dict[str, Any]:
    case = tomllib.loads(path.read_text(encoding="utf-8"))
    keys = set(case)
    result = keys & FIXTURE_RESULT
    if not FIXTURE_KEYS <= keys or len(result) != 1 or keys - FIXTURE_KEYS - FIXTURE_OPTIONAL - FIXTURE_RESULT:
        raise ValueError(f"keys {sorted(keys)}: need {sorted(FIXTURE_KEYS)}, optional extras, and exactly "
                         f"one of {sorted(FIXTURE_RESULT)}")
    if "expected_exit" in case and case["expected_exit"] != 2:
        raise ValueError("expected_exit must be 2")
    return case


def reference_result(case: dict[str, Any]) -> dict[str, Any] | int:
    try:
        return summary(compute(case["agreement"], case["stays"], case.get("extras"), case["period"]))
    except InputError:
        return 2


def run_cli(cli: str, case: dict[str, Any], tmp: Path) -> tuple[int, str, str]:
    agreement = tmp / "agreement.toml"
    agreement.write_text(case["agreement"], encoding="utf-8")
    stays = tmp / "stays.csv"
    stays.write_text(case["stays"], encoding="utf-8")
    args = [cli, "invoice", "--agreement", str(agreement), "--stays", str(stays), "--period", case["period"]]
    if "extras" in case:
        extras = tmp / "extras.csv"
        extras.write_text(case["extras"], encoding="utf-8")
        args += ["--extras", str(extras)]
    args.append("--json")
    proc = subprocess.run(args, capture_output=True, cwd=REPO, check=False)
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")


def check_fixture(path: Path, cli: str | None) -> list[str]:
    try:
        case = load_fixture(path)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError) as exc:
        return [f"cannot read: {exc}"]
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmpname:
        tmp = Path(tmpname)
        apath = tmp / "agreement.toml"
        apath.write_text(case["agreement"], encoding="utf-8")
        errors, _warnings = schema.check_file(apath)
        problems += [f"agreement: {e}" for e in errors]

        got = reference_result(case)
        if "expected_exit" in case:
            if got != 2:
                problems.append(f"reference: expected exit 2, computed {json.dumps(got)}")
            expected = None
        else:
            try:
                expected = json.loads(case["expected_json"])
            except json.JSONDecodeError as exc:
                return problems + [f"expected_json: {exc}"]
            if got == 2:
                problems.append("reference: rejects the input, expected an invoice")
            else:
                problems += compare(expected, got, "reference")

        if cli:
            code, out, err = run_cli(cli, case, tmp)
            if expected is None:
                if code != 2 or out:
                    problems.append(f"{cli}: expected exit 2 and empty stdout, got exit {code}, stdout {out[:200]!r}")
            elif code != 0:
                problems.append(f"{cli}: exit {code}: {err.strip()[:300]}")
            else:
                try:
                    problems += compare(expected, json.loads(out), cli)
                except json.JSONDecodeError as exc:
                    problems.append(f"{cli}: stdout is not JSON: {exc}")
    return problems


def render_expected(case: dict[str, Any]) -> str:
    got = reference_result(case)
    if got == 2:
        return "expected_exit = 2\n"
    assert isinstance(got, dict)
    lines = "".join(f"    {json.dumps(l)},\n" for l in got["lines"]).rstrip(",\n")
    lines = f"[\n{lines}\n  ]" if got["lines"] else "[]"
    return (
        "expected_json = '''\n{\n"
        f'  "agreement_id": {json.dumps(got["agreement_id"])},\n'
        f'  "period": {json.dumps(got["period"])},\n'
        f'  "currency": {json.dumps(got["currency"])},\n'
        f'  "lines": {lines},\n'
        f'  "total_minor": {got["total_minor"]},\n'
        f'  "person_days": {got["person_days"]},\n'
        f'  "warnings": {got["warnings"]}\n'
        "}\n'''\n"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--agreement", type=Path)
    ap.add_argument("--stays", type=Path)
    ap.add_argument("--extras", type=Path)
    ap.add_argument("--period")
    ap.add_argument("--check", action="store_true", help="check the fixtures (all, or the FILES given)")
    ap.add_argument("--cli", help="with --check: also run this `custodia` binary on every fixture")
    ap.add_argument("--expected", type=Path, metavar="FIXTURE", help="print the computed expected block")
    ap.add_argument("files", nargs="*", type=Path)
    args = ap.parse_args(argv)

    if args.expected:
        sys.stdout.write(render_expected(load_fixture(args.expected)))
        return 0

    if args.check:
        files = args.files or sorted(FIXTURES.glob("*.toml"))
        if not files:
            print(f"no fixtures in {FIXTURES}", file=sys.stderr)
            return 1
        total = 0
        for path in files:
            for p in check_fixture(path, args.cli):
                print(f"PROBLEM: {path.name}: {p}")
                total += 1
        print(f"billing fixtures: {len(files)} files, {total} problems")
        return 1 if total else 0

    if not (args.agreement and args.stays and args.period):
        ap.error("--agreement, --stays and --period are required (or use --check / --expected)")
    try:
        agreement_text = args.agreement.read_text(encoding="utf-8")
        stays_text = args.stays.read_text(encoding="utf-8")
        extras_text = args.extras.read_text(encoding="utf-8") if args.extras else None
        inv = compute(agreement_text, stays_text, extras_text, args.period)
    except InputError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        return 2
    except (OSError, KeyError, ValueError, tomllib.TOMLDecodeError) as exc:
        print(f"cannot read the input: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(inv, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
