#!/usr/bin/env python3
"""Independent reference implementation of Custodia's eligibility screening.

docs/person-file.md (person CSV), docs/rules.md (eligibility rules E01-E15) and docs/command-line.md (`custodia screen`).
Python 3.11, standard library only. Written separately from the Rust code so that the two can be
checked against each other through the data-driven fixtures in tests/fixtures/eligibility/.
The sentence arithmetic of docs/sentence.md (E03, E04, E05) is taken from tools/sentence_reference.py, the
independent reference of docs/sentence.md.

Usage (same arguments as `custodia screen`):
    python3 tools/eligibility_reference.py --agreement FILE --persons FILE --as-of DATE \
        [--format csv|jsonl] [--out FILE]

Output, in input order: CSV `person_id,decision,reasons` with a header (RFC 4180, a field is quoted
only when it contains a comma, a double quote, CR or LF), or one JSON object per line with the keys
person_id, decision, reasons. A summary goes to standard error. Exit status 0, or 2 when the
agreement or the person file itself cannot be read (nothing is written to standard output then).

How this reference reads the points the specification leaves open (see also the README of the
fixtures):
- The CSV is parsed strictly as RFC 4180 (LF, CRLF or a lone CR end a record). A quote inside an
  unquoted field, text after a closing quote, or an unterminated quoted field make the *file*
  unreadable (exit 2). A record with no characters at all is a blank line and is skipped (also
  before the header); a line holding only spaces is not blank: it is a one-field row.
- A header without `person_id`, or naming a known column twice, makes the file unreadable.
- A row with the wrong number of fields echoes the field at the `person_id` position when the row
  has one (else the empty string), and that value counts for later duplicates when non-empty.
- A row with several problems reports all of them, `; `-joined, person_id first, then the columns
  in the order of the docs/person-file.md table. A leading UTF-8 byte-order mark is dropped.
- A sentence whose dates fall outside the years 1-9999 makes the row invalid (`sentence_term`).
- Age (E02) of a person born after `as_of` is negative, so E02 fails for any n >= 0.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import json
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sentence_reference as sr  # noqa: E402  (the independent docs/sentence.md reference)

Date = dt.date

# ---------------------------------------------------------------------------------------------
# Code lists (docs/agreement-file.md, docs/person-file.md)

# Officially assigned ISO 3166-1 alpha-2 codes (249) plus XK (Kosovo, user-assigned, docs/agreement-file.md).
# tools/check_eligibility_fixtures.py compares this list with crates/custodia-core/src/codes.rs.
COUNTRY_CODES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ
    BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR
    CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR
    GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU
    ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ
    LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF
    PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI
    SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR
    TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW
    """.split()
)

CONVICTION = ("final", "appeal_pending", "none")
OFFENCES = (
    "violent", "homicide", "sexual", "drug", "property", "fraud", "weapons", "gang", "terrorism",
    "war_crimes", "national_security", "organised_crime", "immigration", "other",
)
SECURITY_CLASSES = ("minimum", "low", "medium", "high", "maximum")
CONSENT = ("given", "refused")
REMOVAL_ORDER = ("final", "pending", "none")
TORTURE_RISK = ("no_risk", "risk")
CARE_NEEDS = ("yes", "no")

# Columns of docs/person-file.md, in the order of its table (the order problems are reported in).
COLUMNS = (
    "person_id", "family_name", "given_names", "birth_date", "nationalities", "conviction",
    "offence_category", "sentence_start", "sentence_term", "jail_credit_days", "security_class",
    "consent", "removal_order", "torture_risk", "torture_risk_assessed_on", "care_needs",
)
ENUM_COLUMNS = {
    "conviction": CONVICTION,
    "offence_category": OFFENCES,
    "security_class": SECURITY_CLASSES,
    "consent": CONSENT,
    "removal_order": REMOVAL_ORDER,
    "torture_risk": TORTURE_RISK,
    "care_needs": CARE_NEEDS,
}
DATE_COLUMNS = ("birth_date", "sentence_start", "torture_risk_assessed_on")

GCT_RATE = 54          # docs/rules.md: E04/E05 use GCT rate 54 ...
GCT_DISALLOWED = 0     # ... and no disallowed days.


class FileError(Exception):
    """The agreement or the person file as a whole cannot be read (exit 2)."""


# ---------------------------------------------------------------------------------------------
# Agreement (only what screening reads; tools/check_agreement_schema.py checks the whole schema)

ELIGIBILITY_KEYS = (
    "require_final_conviction", "min_age", "min_sentence_days", "min_remaining_days",
    "exclude_life_sentences", "sending_state_citizens", "receiving_state_nationals",
    "allowed_nationalities", "require_consent", "consent_waived_by_removal_order",
    "require_removal_order", "excluded_offences", "allowed_security_classes", "exclude_care_needs",
    "torture_risk_max_age_days",
)
BOOL_KEYS = ("require_final_conviction", "exclude_life_sentences", "require_consent",
             "consent_waived_by_removal_order", "require_removal_order", "exclude_care_needs")
INT_KEYS = ("min_age", "min_sentence_days", "min_remaining_days", "torture_risk_max_age_days")


@dataclass
class Agreement:
    sending_state: str
    receiving_state: str
    sentence_profile: str
    rules: dict = field(default_factory=dict)  # configured rules only (false booleans dropped)


def load_agreement(data: dict) -> Agreement:
    problems: list[str] = []

    def code(key: str) -> str:
        v = data.get(key)
        if not isinstance(v, str) or v not in COUNTRY_CODES:
            problems.append(f"{key}: must be an ISO 3166-1 alpha-2 code, got {v!r}")
            return ""
        return v

    sending, receiving = code("sending_state"), code("receiving_state")
    profile = data.get("sentence_profile")
    if profile not in sr.PROFILES:
        problems.append(f"sentence_profile: must be one of {', '.join(sr.PROFILES)}, got {profile!r}")
    elig = data.get("eligibility", {})
    if not isinstance(elig, dict):
        problems.append("eligibility: must be a table")
        elig = {}
    rules: dict = {}
    for key, v in elig.items():
        where = f"eligibility.{key}"
        if key not in ELIGIBILITY_KEYS:
            problems.append(f"{where}: unknown key")
        elif key in BOOL_KEYS:
            if not isinstance(v, bool):
                problems.append(f"{where}: must be true or false")
            elif v:
                rules[key] = True
        elif key in INT_KEYS:
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                problems.append(f"{where}: must be an integer >= 0")
            else:
                rules[key] = v
        elif key == "sending_state_citizens":
            if v not in ("forbidden", "with_consent", "allowed"):
                problems.append(f"{where}: must be forbidden, with_consent or allowed")
            else:
                rules[key] = v
        elif key == "receiving_state_nationals":
            if v not in ("forbidden", "allowed"):
                problems.append(f"{where}: must be forbidden or allowed")
            elif v == "forbidden":  # "allowed" is the same as no rule
                rules[key] = v
        else:  # the three lists
            allowed = {"allowed_nationalities": COUNTRY_CODES, "excluded_offences": OFFENCES,
                       "allowed_security_classes": SECURITY_CLASSES}[key]
            if (not isinstance(v, list) or not v or len(set(map(str, v))) != len(v)
                    or any(not isinstance(x, str) or x not in allowed for x in v)):
                problems.append(f"{where}: must be a non-empty list of distinct known values")
            else:
                rules[key] = frozenset(v)
    if rules.get("consent_waived_by_removal_order") and not rules.get("require_consent"):
        problems.append("eligibility.consent_waived_by_removal_order: needs require_consent = true")
    if problems:
        raise FileError("agreement: " + "; ".join(problems))
    return Agreement(sending, receiving, profile, rules)


def load_agreement_file(path: Path) -> Agreement:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise FileError(f"agreement: {path}: {exc}") from None
    return load_agreement(data)


# ---------------------------------------------------------------------------------------------
# RFC 4180 reading


@dataclass
class Record:
    line: int                 # physical line the record starts on (1-based)
    fields: list[str]


def read_records(text: str) -> list[Record]:
    """Split `text` into records; blank lines (no characters at all) are dropped."""
    records: list[Record] = []
    i, n, line = 0, len(text), 1

    def end_of_record(i: int) -> int:
        nonlocal line
        if text.startswith("\r\n", i):
            i += 2
        else:
            i += 1
        line += 1
        return i

    while i < n:
        start_line = line
        fields: list[str] = []
        blank = text[i] in "\r\n"
        while True:
            if i < n and text[i] == '"':
                i += 1
                buf: list[str] = []
                while True:
                    if i >= n:
                        raise FileError(f"persons: line {start_line}: a quoted field is not closed")
                    c = text[i]
                    if c == '"':
                        if text.startswith('""', i):
                            buf.append('"')
                            i += 2
                            continue
                        i += 1
                        break
                    if c == "\n" or (c == "\r" and not text.startswith("\r\n", i)):
                        line += 1
                    buf.append(c)
                    i += 1
                fields.append("".join(buf))
                if i < n and text[i] not in ",\r\n":
                    raise FileError(f"persons: line {line}: text after a closing quote")
            else:
                j = i
                while j < n and text[j] not in ',\r\n':
                    if text[j] == '"':
                        raise FileError(f"persons: line {line}: a quote inside an unquoted field")
                    j += 1
                fields.append(text[i:j])
                i = j
            if i >= n:
                break
            if text[i] == ",":
                i += 1
                continue
            i = end_of_record(i)
            break
        if not blank:
            records.append(Record(start_line, fields))
    return records


def csv_field(value: str) -> str:
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


# ---------------------------------------------------------------------------------------------
# Person rows (docs/person-file.md)


@dataclass
class Person:
    person_id: str
    birth_date: Date | None = None
    nationalities: frozenset[str] | None = None
    conviction: str | None = None
    offence_category: str | None = None
    sentence_start: Date | None = None
    sentence_term: sr.Term | None = None
    jail_credit_days: int = 0
    security_class: str | None = None
    consent: str | None = None
    removal_order: str | None = None
    torture_risk: str | None = None
    torture_risk_assessed_on: Date | None = None
    care_needs: str | None = None
    sentence: dict | None = None   # docs/sentence.md output when start and term are known and not life


@dataclass
class Result:
    person_id: str
    decision: str
    reasons: str


def parse_value(column: str, value: str):
    """Value of a known optional column -> Python value (None = unknown); raises InputError."""
    if column in ("family_name", "given_names"):
        return value
    if column == "jail_credit_days":
        if value == "":
            return 0
        if not re.fullmatch(r"[0-9]+", value):
            raise sr.InputError(f"{value!r} is not a whole number of days >= 0")
        return int(value)
    if value == "":
        return None
    if column in DATE_COLUMNS:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise sr.InputError(f"{value!r} is not a YYYY-MM-DD date")
        try:
            return Date.fromisoformat(value)
        except ValueError:
            raise sr.InputError(f"{value!r} is not a date that exists") from None
    if column == "nationalities":
        codes = value.split(";")
        for c in codes:
            if c not in COUNTRY_CODES:
                raise sr.InputError(f"{c!r} is not an ISO 3166-1 alpha-2 code")
        if len(set(codes)) != len(codes):
            raise sr.InputError(f"{value!r} repeats a code")
        return frozenset(codes)
    if column == "sentence_term":
        try:
            return sr.parse_term(value)
        except sr.InputError:
            raise sr.InputError(f"{value!r} is not a term (<n>y<n>m<n>d or life)") from None
    allowed = ENUM_COLUMNS[column]
    if value not in allowed:
        raise sr.InputError(f"{value!r} is not one of {', '.join(allowed)}")
    return value


def read_persons(text: str, agreement: Agreement, as_of: Date) -> list[Result]:
    records = read_records(text)
    if not records:
        raise FileError("persons: no header row")
    header = records[0].fields
    index: dict[str, int] = {}
    for pos, name in enumerate(header):
        if name in COLUMNS:
            if name in index:
                raise FileError(f"persons: header names column {name!r} twice")
            index[name] = pos
    if "person_id" not in index:
        raise FileError("persons: header has no person_id column")
    width = len(header)
    pid_pos = index["person_id"]

    seen: set[str] = set()
    results: list[Result] = []
    for rec in records[1:]:
        f = rec.fields
        pid = f[pid_pos] if pid_pos < len(f) else ""
        duplicate = pid in seen
        if pid != "":
            seen.add(pid)  # every row counts for later duplicates, valid or not
        if len(f) != width:
            results.append(Result(pid, "invalid", f"INPUT: row has {len(f)} fields but the header has {width}"))
            continue
        problems: list[str] = []
        if pid == "":
            problems.append("INPUT: person_id: empty")
        elif duplicate:
            problems.append(f"INPUT: person_id: {pid!r} already appears in an earlier row")

        person = Person(pid)
        for column in COLUMNS[1:]:
            if column not in index:
                continue
            try:
                value = parse_value(column, f[index[column]])
            except sr.InputError as exc:
                problems.append(f"INPUT: {column}: {exc}")
                continue
            if column not in ("family_name", "given_names"):
                setattr(person, column, value)
        if not problems and person.sentence_start is not None and person.sentence_term is not None \
                and not person.sentence_term.life:
            try:
                person.sentence = sr.compute(person.sentence_start, person.sentence_term,
                                             person.jail_credit_days, GCT_RATE, GCT_DISALLOWED,
                                             agreement.sentence_profile)
            except sr.InputError:
                problems.append("INPUT: sentence_term: the sentence dates fall outside the years 1-9999")
        if problems:
            results.append(Result(pid, "invalid", "; ".join(problems)))
            continue
        results.append(decide(pid, screen(agreement, person, as_of)))
    return results


# ---------------------------------------------------------------------------------------------
# Rules (docs/rules.md)

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"


def age_on(birth: Date, on: Date) -> int:
    """Whole years; a 29 February birthday falls on 1 March in common years."""
    years = on.year - birth.year
    if (birth.month, birth.day) == (2, 29):
        birthday = (2, 29) if calendar.isleap(on.year) else (3, 1)
    else:
        birthday = (birth.month, birth.day)
    if (on.month, on.day) < birthday:
        years -= 1
    return years


def screen(a: Agreement, p: Person, as_of: Date) -> dict[int, str]:
    r = a.rules
    out: dict[int, str] = {}
    term, start = p.sentence_term, p.sentence_start
    life = term is not None and term.life
    sentence_known = start is not None and term is not None

    def projected() -> Date:
        return Date.fromisoformat(p.sentence["projected_release_date"])

    if r.get("require_final_conviction"):                                   # E01
        out[1] = UNKNOWN if p.conviction is None else PASS if p.conviction == "final" else FAIL
    if "min_age" in r:                                                      # E02
        out[2] = UNKNOWN if p.birth_date is None else (
            PASS if age_on(p.birth_date, as_of) >= r["min_age"] else FAIL)
    if "min_sentence_days" in r:                                            # E03
        if life:
            out[3] = PASS
        elif not sentence_known:
            out[3] = UNKNOWN
        else:
            ft = Date.fromisoformat(p.sentence["full_term_date"])
            out[3] = PASS if (ft - start).days + 1 >= r["min_sentence_days"] else FAIL
    if "min_remaining_days" in r:                                           # E04
        if life:
            out[4] = PASS
        elif not sentence_known:
            out[4] = UNKNOWN
        else:
            out[4] = PASS if (projected() - as_of).days >= r["min_remaining_days"] else FAIL
    # E05, always
    if life:
        out[5] = PASS
    elif not sentence_known:
        out[5] = UNKNOWN
    else:
        out[5] = FAIL if projected() <= as_of else PASS
    if r.get("exclude_life_sentences"):                                     # E06
        out[6] = UNKNOWN if term is None else FAIL if life else PASS
    if "sending_state_citizens" in r:                                       # E07
        mode = r["sending_state_citizens"]
        if mode == "allowed":
            out[7] = PASS
        elif p.nationalities is None:
            out[7] = UNKNOWN
        elif a.sending_state not in p.nationalities:
            out[7] = PASS
        elif mode == "forbidden":
            out[7] = FAIL
        else:  # with_consent
            out[7] = {"given": PASS, "refused": FAIL, None: UNKNOWN}[p.consent]
    if "receiving_state_nationals" in r:                                    # E08 (forbidden)
        out[8] = UNKNOWN if p.nationalities is None else (
            FAIL if a.receiving_state in p.nationalities else PASS)
    if "allowed_nationalities" in r:                                        # E09
        out[9] = UNKNOWN if p.nationalities is None else (
            PASS if p.nationalities & r["allowed_nationalities"] else FAIL)
    if r.get("require_consent"):                                            # E10
        if r.get("consent_waived_by_removal_order") and p.removal_order == "final":
            out[10] = PASS
        elif p.consent == "given":
            out[10] = PASS
        elif p.consent is None:
            out[10] = UNKNOWN
        elif r.get("consent_waived_by_removal_order") and p.removal_order is None:
            out[10] = UNKNOWN   # refused, but the removal order that could waive it is unknown
        else:
            out[10] = FAIL
    if r.get("require_removal_order"):                                      # E11
        out[11] = UNKNOWN if p.removal_order is None else (
            PASS if p.removal_order == "final" else FAIL)
    if "excluded_offences" in r:                                            # E12
        out[12] = UNKNOWN if p.offence_category is None else (
            FAIL if p.offence_category in r["excluded_offences"] else PASS)
    if "allowed_security_classes" in r:                                     # E13
        out[13] = UNKNOWN if p.security_class is None else (
            PASS if p.security_class in r["allowed_security_classes"] else FAIL)
    if r.get("exclude_care_needs"):                                         # E14
        out[14] = UNKNOWN if p.care_needs is None else PASS if p.care_needs == "no" else FAIL
    if "torture_risk_max_age_days" in r:                                    # E15
        if p.torture_risk == "risk":
            out[15] = FAIL
        elif (p.torture_risk == "no_risk" and p.torture_risk_assessed_on is not None
              and p.torture_risk_assessed_on <= as_of
              and (as_of - p.torture_risk_assessed_on).days <= r["torture_risk_max_age_days"]):
            out[15] = PASS
        else:
            out[15] = UNKNOWN
    return out


def decide(person_id: str, outcomes: dict[int, str]) -> Result:
    reasons = []
    for number in sorted(outcomes):
        if outcomes[number] == FAIL:
            reasons.append(f"E{number:02d}")
        elif outcomes[number] == UNKNOWN:
            reasons.append(f"E{number:02d}?")
    values = set(outcomes.values())
    decision = "ineligible" if FAIL in values else "review" if UNKNOWN in values else "eligible"
    return Result(person_id, decision, ";".join(reasons))


# ---------------------------------------------------------------------------------------------
# Output and CLI


def render(results: list[Result], fmt: str = "csv") -> str:
    if fmt == "jsonl":
        return "".join(
            json.dumps({"person_id": r.person_id, "decision": r.decision, "reasons": r.reasons},
                       ensure_ascii=False, separators=(",", ":")) + "\n"
            for r in results)
    lines = ["person_id,decision,reasons"]
    lines += [",".join(csv_field(v) for v in (r.person_id, r.decision, r.reasons)) for r in results]
    return "\n".join(lines) + "\n"


def screen_text(agreement_data: dict, persons_text: str, as_of: Date) -> list[Result]:
    """Library entry point: parsed agreement TOML, person CSV text, as-of date."""
    return read_persons(persons_text, load_agreement(agreement_data), as_of)


def summary(results: list[Result]) -> str:
    counts = {d: 0 for d in ("eligible", "review", "ineligible", "invalid")}
    for r in results:
        counts[r.decision] += 1
    return f"screened {len(results)} rows: " + ", ".join(f"{v} {k}" for k, v in counts.items())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--agreement", required=True, type=Path)
    ap.add_argument("--persons", required=True, type=Path)
    ap.add_argument("--as-of", required=True)
    ap.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    try:
        as_of = sr.parse_date(args.as_of, "as-of")
    except sr.InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        agreement = load_agreement_file(args.agreement)
        try:
            text = args.persons.read_bytes().decode("utf-8").removeprefix("\ufeff")
        except (OSError, UnicodeDecodeError) as exc:
            raise FileError(f"persons: {args.persons}: {exc}") from None
        results = read_persons(text, agreement, as_of)
    except FileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = render(results, args.format)
    if args.out:
        args.out.write_text(out, encoding="utf-8")
    else:
        sys.stdout.write(out)
    print(summary(results), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
