#!/usr/bin/env python3
"""Check the eligibility fixtures (tests/fixtures/eligibility/*.toml) against the reference.

    python3 tools/check_eligibility_fixtures.py                 # every fixture
    python3 tools/check_eligibility_fixtures.py FILE.toml ...   # some fixtures
    python3 tools/check_eligibility_fixtures.py --cli target/debug/custodia
        # also run `custodia screen` on every fixture and compare it in the same way

For each fixture this script
1. checks the layout (keys, dates, one agreement source) and lints `expected`: header, canonical
   RFC 4180 quoting, decisions, reasons sorted and consistent with the decision, and invalid reasons
   written only up to the column name (`INPUT:` or `INPUT: <column>`);
2. checks the agreement with tools/check_agreement_schema.py, so that no fixture depends on an
   agreement the loader would reject;
3. runs tools/eligibility_reference.py and compares its CSV output with `expected` under the rule of
   the README: every field equal, except that the reasons of an `invalid` row only have to start with
   the expected reasons.

Standard library only (Python 3.11+). Exit status 0 when nothing differs, 1 otherwise. The fixtures
are never rewritten.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
REPO = TOOLS.parent
FIXTURES = REPO / "tests" / "fixtures" / "eligibility"
sys.path.insert(0, str(TOOLS))

import check_agreement_schema as schema  # noqa: E402
import eligibility_reference as ref  # noqa: E402

HEADER = ["person_id", "decision", "reasons"]
DECISIONS = ("eligible", "ineligible", "review", "invalid")
REASONS = re.compile(r"(?:E(0[1-9]|1[0-5])\??)(?:;E(0[1-9]|1[0-5])\??)*")
INVALID_PREFIX = re.compile(r"INPUT:(?: (?P<column>[a-z_]+))?")


def parse_csv(text: str, what: str) -> list[list[str]]:
    try:
        return [r.fields for r in ref.read_records(text)]
    except ref.FileError as exc:
        raise ValueError(f"{what} is not RFC 4180 CSV: {exc}") from None


def canonical(rows: list[list[str]]) -> str:
    return "".join(",".join(ref.csv_field(v) for v in row) + "\n" for row in rows)


def lint_expected(text: str) -> list[str]:
    problems: list[str] = []
    try:
        rows = parse_csv(text, "expected")
    except ValueError as exc:
        return [str(exc)]
    if not rows or rows[0] != HEADER:
        return ["expected: the first line must be person_id,decision,reasons"]
    if canonical(rows) != text:
        problems.append("expected: not in canonical form (LF line ends, quotes only where needed, "
                        "no blank lines)")
    for n, row in enumerate(rows[1:], 2):
        if len(row) != 3:
            problems.append(f"expected line {n}: {len(row)} fields")
            continue
        _, decision, reasons = row
        if decision not in DECISIONS:
            problems.append(f"expected line {n}: unknown decision {decision!r}")
        elif decision == "invalid":
            m = INVALID_PREFIX.fullmatch(reasons)
            if m is None or (m["column"] and m["column"] not in ref.COLUMNS):
                problems.append(f"expected line {n}: invalid reasons must be 'INPUT:' or "
                                f"'INPUT: <column>', got {reasons!r}")
        elif decision == "eligible":
            if reasons:
                problems.append(f"expected line {n}: eligible with reasons {reasons!r}")
        elif not REASONS.fullmatch(reasons):
            problems.append(f"expected line {n}: reasons {reasons!r} are not E01..E15[?] joined by ';'")
        else:
            codes = reasons.split(";")
            numbers = [int(c[1:3]) for c in codes]
            if numbers != sorted(set(numbers)):
                problems.append(f"expected line {n}: reasons {reasons!r} not sorted or repeated")
            fails = [c for c in codes if not c.endswith("?")]
            if (decision == "ineligible") != bool(fails):
                problems.append(f"expected line {n}: decision {decision} does not match {reasons!r}")
    return problems


def compare(expected: str, actual: str, who: str) -> list[str]:
    """The comparison rule of the README."""
    try:
        want = parse_csv(expected, "expected")
        got = parse_csv(actual, f"{who} output")
    except ValueError as exc:
        return [str(exc)]
    problems: list[str] = []
    if got[:1] != [HEADER]:
        problems.append(f"{who}: header {got[:1]!r}")
    if len(got) != len(want):
        problems.append(f"{who}: {len(got) - 1} rows, expected {len(want) - 1}")
    for n, (w, g) in enumerate(zip(want[1:], got[1:]), 1):
        if len(g) != 3:
            problems.append(f"{who}: row {n}: {g!r} has {len(g)} fields")
            continue
        ok = w[:2] == g[:2] and (g[2].startswith(w[2]) if w[1] == "invalid" else g[2] == w[2])
        if not ok:
            problems.append(f"{who}: row {n}: expected {canonical([w]).strip()!r}, "
                            f"got {canonical([g]).strip()!r}")
    if canonical(got) != actual.replace("\r\n", "\n"):
        problems.append(f"{who}: output is not canonical RFC 4180 (quotes only where needed)")
    return problems


def check_fixture(path: Path, cli: str | None) -> list[str]:
    try:
        case = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return [f"cannot read: {exc}"]
    problems: list[str] = []
    keys = set(case)
    required = {"name", "source", "as_of", "persons", "expected"}
    sources = keys & {"agreement", "agreement_file"}
    if not required <= keys or len(sources) != 1 or keys - required - sources:
        return [f"keys {sorted(keys)}: need {sorted(required)} and exactly one of agreement, "
                "agreement_file"]
    for key in ("name", "source", "as_of", "persons", "expected", *sources):
        if not isinstance(case[key], str):
            problems.append(f"{key}: must be a string")
    if problems:
        return problems
    try:
        as_of = dt.date.fromisoformat(case["as_of"])
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", case["as_of"]):
            raise ValueError
    except ValueError:
        return [f"as_of: {case['as_of']!r} is not YYYY-MM-DD"]

    problems += lint_expected(case["expected"])

    with tempfile.TemporaryDirectory() as tmp:
        if "agreement_file" in case:
            agreement_path = REPO / case["agreement_file"]
            if not agreement_path.is_file():
                return problems + [f"agreement_file: {case['agreement_file']} does not exist"]
        else:
            agreement_path = Path(tmp) / "agreement.toml"
            agreement_path.write_text(case["agreement"], encoding="utf-8")
        errors, _warnings = schema.check_file(agreement_path)
        problems += [f"agreement: {e}" for e in errors]

        persons_path = Path(tmp) / "persons.csv"
        persons_path.write_bytes(case["persons"].encode("utf-8"))
        try:
            agreement = ref.load_agreement_file(agreement_path)
            results = ref.read_persons(case["persons"], agreement, as_of)
        except ref.FileError as exc:
            return problems + [f"reference: cannot read the input: {exc}"]
        problems += compare(case["expected"], ref.render(results), "reference")

        if cli:
            proc = subprocess.run(
                [cli, "screen", "--agreement", str(agreement_path), "--persons", str(persons_path),
                 "--as-of", case["as_of"], "--format", "csv"],
                capture_output=True, cwd=REPO, check=False)
            if proc.returncode != 0:
                problems.append(f"{cli}: exit {proc.returncode}: "
                                f"{proc.stderr.decode('utf-8', 'replace').strip()[:300]}")
            else:
                problems += compare(case["expected"], proc.stdout.decode("utf-8", "replace"), cli)
    return problems


def check_country_codes() -> list[str]:
    """The reference's own code list against the generated Rust table (they must agree)."""
    text = schema.CODES_RS.read_text(encoding="utf-8")
    m = re.search(r"pub const COUNTRY_CODES: &\[&str\] = &\[(.*?)\];", text, re.S)
    if m is None:
        return [f"COUNTRY_CODES not found in {schema.CODES_RS}"]
    rust = set(re.findall(r'"([A-Z]{2})"', m.group(1)))
    out = []
    if rust - ref.COUNTRY_CODES:
        out.append(f"country codes in codes.rs, not in the reference: {sorted(rust - ref.COUNTRY_CODES)}")
    if ref.COUNTRY_CODES - rust:
        out.append(f"country codes in the reference, not in codes.rs: {sorted(ref.COUNTRY_CODES - rust)}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", type=Path, help="fixtures (default: all)")
    ap.add_argument("--cli", help="also run this `custodia` binary's screen command on every fixture")
    args = ap.parse_args(argv)
    files = args.files or sorted(FIXTURES.glob("*.toml"))
    if not files:
        print(f"no fixtures in {FIXTURES}", file=sys.stderr)
        return 1
    total = 0
    for p in check_country_codes():
        print(f"PROBLEM: {p}")
        total += 1
    for path in files:
        problems = check_fixture(path, args.cli)
        total += len(problems)
        for p in problems:
            print(f"PROBLEM: {path.name}: {p}")
    rows = 0
    for path in files:
        try:
            rows += len(tomllib.loads(path.read_text(encoding="utf-8"))["expected"].splitlines()) - 1
        except (OSError, tomllib.TOMLDecodeError, KeyError, AttributeError):
            pass
    print(f"eligibility fixtures: {len(files)} files, {rows} rows, {total} problems")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
