#!/usr/bin/env python3
"""The inputs of a register at scale (bench/lists.sh): N agreements modelled on the CECOT example,
each with its own facility, enough cells and PER eligible people to hold in custody.

    python3 bench/gen_scale.py --agreements 10 --per-agreement 10000 --out bench-data/scale

Writes, for each agreement k in 0..N: `agreement-k.toml` (id `scale-k`, facility `site-k`, a term
2026-01-01 .. 2030-12-31, contracted places = PER), `persons-k.csv` (ids `S<k>-<i>`, every row
eligible and with a legal basis on 2026-06-01: final conviction, a ten-year sentence from 2025-01-01,
Venezuelan, torture risk assessed on 2026-05-01) and `cells-k.csv` (shared cells of 100 m² and 25
beds: a standard capacity of 25 each, PER / 25 of them plus a spare). Deterministic: no randomness.
"""
from __future__ import annotations

import argparse
import csv
import pathlib
import re

EXAMPLE = pathlib.Path(__file__).resolve().parent.parent / "examples/agreements/us-sv-cecot.toml"
CELL_BEDS = 25


def agreement(k: int, places: int) -> str:
    source = EXAMPLE.read_text(encoding="utf-8")
    swaps = [
        (r'^id = "us-sv-cecot"$', f'id = "scale-{k}"'),
        (r'^id = "cecot"$', f'id = "site-{k}"'),
        (r"^starts = .*$", "starts = 2026-01-01"),
        (r"^ends = .*$", "ends = 2030-12-31"),
        (r"^contracted_places = .*$", f"contracted_places = {places}"),
        (r"^envelope_minor = .*$", "envelope_minor = 900000000000000"),
    ]
    for pattern, replacement in swaps:
        source, n = re.subn(pattern, replacement, source, count=1, flags=re.MULTILINE)
        if n != 1:
            raise SystemExit(f"{EXAMPLE}: no line matches {pattern!r}")
    return source


def persons(path: pathlib.Path, k: int, count: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["person_id", "family_name", "given_names", "birth_date", "nationalities", "conviction",
                    "offence_category", "sentence_start", "sentence_term", "jail_credit_days",
                    "security_class", "consent", "removal_order", "removal_destination", "torture_risk",
                    "torture_risk_assessed_on", "care_needs"])
        for i in range(count):
            w.writerow([f"S{k}-{i}", f"Family{i % 997}", f"Given{i % 89}", f"19{70 + i % 30}-0{1 + i % 9}-1{i % 10}",
                        "VE", "final", "drug", "2025-01-01", "10y", "0", "medium", "given", "final", "VE",
                        "no_risk", "2026-05-01", "no"])


def cells(path: pathlib.Path, k: int, count: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["facility_id", "cell_id", "unit", "kind", "area_m2", "beds"])
        for c in range(count // CELL_BEDS + 1):
            w.writerow([f"site-{k}", f"C{c:05d}", f"U{c // 40:03d}", "shared", "100.0", CELL_BEDS])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--agreements", type=int, default=10)
    p.add_argument("--per-agreement", type=int, default=10000)
    p.add_argument("--out", type=pathlib.Path, required=True)
    a = p.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    for k in range(a.agreements):
        (a.out / f"agreement-{k}.toml").write_text(agreement(k, a.per_agreement), encoding="utf-8")
        persons(a.out / f"persons-{k}.csv", k, a.per_agreement)
        cells(a.out / f"cells-{k}.csv", k, a.per_agreement)


if __name__ == "__main__":
    main()
