#!/usr/bin/env python3
"""A second, independent generator of person files (docs/person-file.md), for benchmarks.

    python3 bench/gen_persons.py --count 1000000 --seed 7 --out bench-data/persons-alt-1m.csv

`custodia synth persons` writes the project's own synthetic file; a benchmark measured only on it
can be tuned to its shape. This script writes the same format as another exporter would, written
from docs/person-file.md and not from crates/custodia-core/src/synth.rs:

- Python's csv module with its defaults: CRLF line endings, fields quoted only when needed;
- a different column order (the name columns last), `removal_destination`, and one column
  Custodia does not know (`file_reference`);
- ids `SV-<year>-<serial>` in a shuffled order (no two alike: no duplicate-id rows);
- names with accents, and some with a comma or a quote (quoted fields, `""` escapes);
- nationalities from a wider list, 10 % dual and 1 % triple;
- terms in every spelling (`5y`, `60m`, `2y6m`, `1y0m15d`, `900d`, `life`), jail credit with
  leading zeros now and then, and far more empty cells (8 % per optional column);
- 0.3 % of rows with one bad value (a date that does not exist, `Final`, `5 years`, ...): those
  rows are `invalid`, which both implementations must report the same way.

Deterministic for a seed (random.Random); streams, so memory stays small for any count.
"""
from __future__ import annotations

import argparse
import csv
import random
import sys
from datetime import date, timedelta

COLUMNS = [
    "person_id", "file_reference", "nationalities", "birth_date", "sentence_start", "sentence_term",
    "jail_credit_days", "conviction", "offence_category", "security_class", "consent", "removal_order",
    "removal_destination", "torture_risk", "torture_risk_assessed_on", "care_needs", "family_name",
    "given_names",
]
NATIONS = ["SV", "US", "VE", "MX", "GT", "HN", "NI", "CO", "CU", "DO", "EC", "PE", "HT", "BR", "CN",
           "IN", "XK", "ES", "NG", "JM"]
NATION_W = [22, 18, 14, 10, 8, 7, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1, 0.5, 0.5, 1, 1]
FAMILY = ["Hernández", "Martínez", "López", "González", "Rodríguez", "Pérez", "Ramírez", "Flores",
          "Smith", "Johnson", "O'Brien", "Núñez", "Muñoz", "Castillo", "Díaz", "Reyes", "Cruz", "Morales"]
GIVEN = ["José", "María", "Juan Carlos", "Ana", "Luis", "Carlos", "Jesús", "Rosa", "Miguel Ángel",
         "John", "Kevin", "Andrés", "Sofía", "Óscar", "Iván"]
OFFENCES = ["violent", "homicide", "sexual", "drug", "property", "fraud", "weapons", "gang",
            "terrorism", "war_crimes", "national_security", "organised_crime", "immigration", "other"]
OFFENCE_W = [12, 4, 4, 25, 9, 7, 10, 12, 0.5, 0.2, 0.3, 3, 10, 3]
BAD = {  # column -> values that make a row invalid
    "birth_date": ["1990-02-30", "1985-13-01", "12/03/1980", "1977-4-5"],
    "sentence_start": ["2023-00-10", "2021-09-31"],
    "sentence_term": ["5 years", "0d", "3m2y", "Life"],
    "conviction": ["Final", "final "],
    "security_class": ["supermax"],
    # (not a repeated code such as SV;SV: docs/person-file.md refuses it, the DuckDB peer in
    # /work/shared/peer accepts it, and the benchmark compares the two outputs)
    "nationalities": ["SLV", "us", "S V"],
    "jail_credit_days": ["-3", "12.5"],
    "consent": ["yes"],
    "torture_risk_assessed_on": ["2025-02-29"],
}
REF = date(2025, 6, 1)


def term(rng: random.Random) -> tuple[str, int]:
    """A term as written and its approximate length in days."""
    r = rng.random()
    if r < 0.03:
        return "life", 0
    if r < 0.15:
        d = rng.randint(20, 2000)
        return f"{d}d", d
    months = int(rng.choice([rng.randint(3, 24), rng.randint(12, 84), rng.randint(60, 300)]))
    y, m = divmod(months, 12)
    style = rng.random()
    if style < 0.35 and m == 0:
        text = f"{y}y"
    elif style < 0.6:
        text = f"{months}m"
    elif style < 0.8:
        text = (f"{y}y" if y else "") + f"{m}m"
    else:
        extra = rng.randint(1, 28)
        text = f"{y}y{m}m{extra}d"
        months += extra / 30
    return text, int(months * 30.44)


def iso(d: date) -> str:
    return d.isoformat()


def row(rng: random.Random, pid: str) -> list[str]:
    empty = lambda: rng.random() < 0.08  # noqa: E731 - an optional cell left empty
    nat = rng.choices(NATIONS, NATION_W, k=1)[0]
    nats = [nat]
    r = rng.random()
    if r < 0.11:
        for extra in rng.sample(NATIONS, 3):
            if extra not in nats and len(nats) < (3 if r < 0.01 else 2):
                nats.append(extra)
    age_days = int(rng.triangular(17 * 365, 70 * 365, 24 * 365))
    term_text, term_days = term(rng)
    served = int(rng.random() * 1.2 * (term_days or 9000))
    start = REF - timedelta(days=served)
    credit = "0" if rng.random() < 0.55 else str(rng.randint(1, 500))
    if rng.random() < 0.02:
        credit = "00" + credit
    risk = rng.choices(["no_risk", "risk", ""], [55, 6, 39])[0]
    family = rng.choice(FAMILY)
    if rng.random() < 0.02:
        family = f'{family}, "{rng.choice(FAMILY)}"'  # a comma and quotes: a quoted, escaped field
    v = {
        "person_id": pid,
        "file_reference": f"EXP/{rng.randint(1, 99999):05d}",
        "nationalities": "" if empty() else ";".join(nats),
        "birth_date": "" if empty() else iso(REF - timedelta(days=age_days)),
        "sentence_start": "" if empty() else iso(start),
        "sentence_term": "" if empty() else term_text,
        "jail_credit_days": "" if empty() else credit,
        "conviction": "" if empty() else rng.choices(["final", "appeal_pending", "none"], [85, 12, 3])[0],
        "offence_category": "" if empty() else rng.choices(OFFENCES, OFFENCE_W)[0],
        "security_class": "" if empty() else rng.choices(
            ["minimum", "low", "medium", "high", "maximum"], [10, 25, 35, 20, 10])[0],
        "consent": "" if empty() else rng.choices(["given", "refused"], [55, 45])[0],
        "removal_order": "" if empty() else rng.choices(["final", "pending", "none"], [50, 20, 30])[0],
        "removal_destination": "" if empty() else rng.choice(nats),
        "torture_risk": "" if empty() else risk,
        "torture_risk_assessed_on": "" if (empty() or not risk) else iso(REF - timedelta(days=rng.randint(0, 300))),
        "care_needs": "" if empty() else rng.choices(["yes", "no"], [9, 91])[0],
        "family_name": family,
        "given_names": rng.choice(GIVEN),
    }
    if rng.random() < 0.003:
        column = rng.choice(sorted(BAD))
        v[column] = rng.choice(BAD[column])
    return [v[c] for c in COLUMNS]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    rng = random.Random(a.seed)
    # Distinct ids in a shuffled order: serial numbers spread over years by a multiplicative
    # permutation of 0..count-1 (a stride coprime with count).
    n = a.count
    stride = 7_919 if n % 7_919 else 7_927
    with open(a.out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)  # defaults: CRLF, minimal quoting
        w.writerow(COLUMNS)
        for i in range(n):
            k = (i * stride + 12_345) % n
            w.writerow(row(rng, f"SV-{2010 + k % 15}-{k:07d}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
