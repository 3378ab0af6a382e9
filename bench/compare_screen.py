#!/usr/bin/env python3
"""Compares two `custodia screen --format csv` outputs byte for byte, except for the free text of
invalid rows.

    python3 bench/compare_screen.py A.csv B.csv [--persons P.csv] [--show 20]

Every record must be byte-identical (header, quoting, line ends, order), with one exception: the
`reasons` of an `invalid` row are compared only up to `INPUT: <column>:` (the column named by the
first problem), or `INPUT:` when the first problem names no column, because docs/command-line.md leaves the
message text to the implementation. Exit 0 when they agree, 1 with the first differences (and the
input row when --persons is given) when they do not, 2 when a file is not well-formed CSV.
"""

from __future__ import annotations

import argparse
import re
import sys

COLUMNS = (
    "person_id", "family_name", "given_names", "birth_date", "nationalities", "conviction",
    "offence_category", "sentence_start", "sentence_term", "jail_credit_days", "security_class",
    "consent", "removal_order", "torture_risk", "torture_risk_assessed_on", "care_needs",
)
INPUT_COLUMN = re.compile(r"INPUT: (" + "|".join(COLUMNS) + r"):")


def records(data: bytes, name: str):
    """Yields (raw bytes of the record including its line end, [fields as str])."""
    i, n = 0, len(data)
    while i < n:
        start = i
        fields = []
        while True:
            if i < n and data[i] == 0x22:  # quoted field
                i += 1
                buf = bytearray()
                while True:
                    if i >= n:
                        raise ValueError(f"{name}: unterminated quoted field at byte {start}")
                    if data[i] == 0x22:
                        if i + 1 < n and data[i + 1] == 0x22:
                            buf.append(0x22)
                            i += 2
                            continue
                        i += 1
                        break
                    buf.append(data[i])
                    i += 1
                fields.append(buf.decode("utf-8"))
                if i < n and data[i] not in b",\r\n":
                    raise ValueError(f"{name}: text after a closing quote at byte {i}")
            else:
                j = i
                while j < n and data[j] not in b",\r\n":
                    j += 1
                fields.append(data[i:j].decode("utf-8"))
                i = j
            if i >= n:
                break
            if data[i] == 0x2C:
                i += 1
                continue
            i += 2 if data[i:i + 2] == b"\r\n" else 1
            break
        yield data[start:i], fields


def key(raw: bytes, fields: list[str]):
    """What must match: the raw bytes, or for an invalid row its person_id field and first column."""
    if len(fields) == 3 and fields[1] == "invalid":
        m = INPUT_COLUMN.match(fields[2])
        head = m.group(0) if m else ("INPUT:" if fields[2].startswith("INPUT:") else fields[2])
        line_end = b"\r\n" if raw.endswith(b"\r\n") else b"\n" if raw.endswith(b"\n") else b""
        return ("invalid", fields[0], head, line_end)
    return ("raw", raw)


def persons_rows(path: str) -> list[bytes] | None:
    """The input's data records (blank lines skipped), or None when it is not well-formed CSV."""
    try:
        with open(path, "rb") as f:
            data = f.read()
        out = [raw for raw, fields in records(data, path) if raw not in (b"\n", b"\r\n")]
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return out[1:]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--persons", help="input file, to show the input row of each difference")
    ap.add_argument("--show", type=int, default=20)
    args = ap.parse_args()
    try:
        with open(args.a, "rb") as f:
            data_a = f.read()
        with open(args.b, "rb") as f:
            data_b = f.read()
        if data_a == data_b:  # the common case, decided without parsing
            lines = data_a.count(b"\n")
            print(f"identical: byte for byte ({len(data_a):,} bytes, {lines:,} lines)")
            return 0
        a = list(records(data_a, args.a))
        b = list(records(data_b, args.b))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        print(f"compare: {exc}", file=sys.stderr)
        return 2
    inputs = persons_rows(args.persons) if args.persons else None
    diffs = 0
    for index in range(max(len(a), len(b))):
        ra = a[index] if index < len(a) else (b"<missing>", [])
        rb = b[index] if index < len(b) else (b"<missing>", [])
        if key(*ra) == key(*rb):
            continue
        diffs += 1
        if diffs <= args.show:
            where = "header" if index == 0 else f"output row {index} (data row {index})"
            print(f"DIFF at {where}:")
            if inputs is not None and 0 < index <= len(inputs):
                print(f"  input: {inputs[index - 1]!r}")
            print(f"  {args.a}: {ra[0]!r}")
            print(f"  {args.b}: {rb[0]!r}")
    if len(a) != len(b):
        print(f"record counts differ: {args.a} {len(a)}, {args.b} {len(b)}")
    if diffs:
        print(f"{diffs} differing record(s) of {max(len(a), len(b))}")
        return 1
    print(f"identical: {len(a)} records (invalid rows compared up to 'INPUT: <column>:')")
    return 0


if __name__ == "__main__":
    sys.exit(main())
