#!/usr/bin/env python3
"""An independent DuckDB implementation of `custodia screen` (docs/person-file.md, docs/sentence.md, docs/rules.md, docs/command-line.md), for benchmarks.

    python3 bench/screen_duckdb.py --agreement A.toml --persons P.csv --as-of YYYY-MM-DD --out O.csv

writes the same CSV as `custodia screen --agreement A --persons P --as-of D --format csv --out O`:
`person_id,decision,reasons` with a header, one line per input row in input order, fields quoted as
RFC 4180 requires (only when they hold `,`, `"`, CR or LF). The text after `INPUT: <column>: ` of an
invalid row is this script's own wording; everything else is meant to be byte-identical.

All the work on the rows happens in DuckDB SQL, with DuckDB's default thread count. Python only reads
the agreement (tomllib) and the CSV header line, and builds the SQL. The wall time of the SQL (CSV read,
validation, sentence arithmetic, calendar, rules, CSV write) is printed on standard error.

How the pieces map to the reference (docs/person-file.md, docs/rules.md):
- docs/person-file.md The file is read by DuckDB's strict CSV reader with every column VARCHAR, no type sniffing,
  into a table whose rowid is the input order. An extra column is declared past the header and
  `null_padding` is on with an impossible `nullstr`, so a short row shows up as a NULL in its last
  real column and a long row as a non-NULL extra column (an empty field stays ''); see
  load_persons(). Values are validated exactly: the closed lists, `YYYY-MM-DD` dates (strict round
  trip, years 0001-9999), the term grammar, `jail_credit_days` `[0-9]+`, ISO alpha-2 nationalities
  (joined against a VALUES table parsed from crates/custodia-core/src/codes.rs), none repeated, an
  empty or repeated `person_id` (the first occurrence is screened normally). Problems are reported
  as `INPUT: <column>: <message>`.
- docs/sentence.md `add_months` is `date + to_months(n)` (DuckDB clamps a missing day to the month's end); whole
  years W are found exactly (one comparison, not a search); the weekday rule is one join with a
  calendar table that holds, for every day, the last business day on or before it (weekends and the
  eleven 5 U.S.C. 6103(a) holidays on observed dates, generated in SQL).
- docs/rules.md Every configured rule gives pass (NULL), fail ('F') or unknown ('U'); `reasons` concatenates
  `Enn` / `Enn?` in rule order with `;`.

Points the reference leaves open, read as tools/eligibility_reference.py reads them: a row with the wrong
number of fields reports only that; otherwise every problem of the row is listed (`; `-joined,
person_id first, then the docs/person-file.md column order); a row whose sentence dates leave the years 1-9999
(the dates are written YYYY-MM-DD) is invalid under `sentence_term`. Term components, and jail
credit, are capped before any date arithmetic (months at 1 200 000, days at 36 500 000, credit at
10^8 days) so that DuckDB never overflows; every capped value is already far outside 1-9999, so the
cap changes no result. DuckDB's reader keeps a `"` inside an unquoted field as a literal character
(RFC 4180 does not allow one there). Records that DuckDB's strict reader rejects for anything but
their field count (text after a closing quote, an unterminated quote, invalid UTF-8) cannot be put
back in input order here: the script then stops with exit 2 and lists them, rather than guess at a
value or drop a row.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import re
import sys
import time
import tomllib
from pathlib import Path

import duckdb

# docs/person-file.md, in the order of its table: also the order in which row problems are reported.
COLUMNS = (
    "person_id",
    "family_name",
    "given_names",
    "birth_date",
    "nationalities",
    "conviction",
    "offence_category",
    "sentence_start",
    "sentence_term",
    "jail_credit_days",
    "security_class",
    "consent",
    "removal_order",
    "torture_risk",
    "torture_risk_assessed_on",
    "care_needs",
)
CHOICES = {
    "conviction": ("final", "appeal_pending", "none"),
    "offence_category": (
        "violent", "homicide", "sexual", "drug", "property", "fraud", "weapons", "gang", "terrorism",
        "war_crimes", "national_security", "organised_crime", "immigration", "other",
    ),
    "security_class": ("minimum", "low", "medium", "high", "maximum"),
    "consent": ("given", "refused"),
    "removal_order": ("final", "pending", "none"),
    "torture_risk": ("no_risk", "risk"),
    "care_needs": ("yes", "no"),
}
DATE_COLUMNS = ("birth_date", "sentence_start", "torture_risk_assessed_on")

ELIGIBILITY_KEYS = {
    "require_final_conviction": bool,
    "min_age": int,
    "min_sentence_days": int,
    "min_remaining_days": int,
    "exclude_life_sentences": bool,
    "sending_state_citizens": str,
    "receiving_state_nationals": str,
    "allowed_nationalities": list,
    "require_consent": bool,
    "consent_waived_by_removal_order": bool,
    "require_removal_order": bool,
    "excluded_offences": list,
    "allowed_security_classes": list,
    "exclude_care_needs": bool,
    "torture_risk_max_age_days": int,
}

GCT_RATE = 54  # docs/rules.md: E04 and E05 use GCT rate 54.
CAL_MIN_YEAR, CAL_MAX_YEAR = 1900, 2200  # the calendar always covers these; widened if the data needs it

# Caps that keep every date inside DuckDB's TIMESTAMP range (see the module docstring).
CAP_MONTHS = 1_200_000
CAP_DAYS = 36_500_000
CAP_CREDIT = 100_000_000

NULLSTR = "\x01\x02custodia-null\x02\x01"  # never equal to a real field, so empty fields stay ''


class Fatal(Exception):
    """The agreement or the file itself cannot be read (exit 2)."""


def sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sql_list(values) -> str:
    return "(" + ", ".join(sql_str(v) for v in values) + ")"


def country_codes() -> list[str]:
    source = Path(__file__).resolve().parent.parent / "crates/custodia-core/src/codes.rs"
    text = source.read_text(encoding="utf-8")
    block = re.search(r"pub const COUNTRY_CODES: &\[&str\] = &\[(.*?)\];", text, re.S)
    if block is None:
        raise Fatal(f"{source}: COUNTRY_CODES not found")
    codes = re.findall(r'"([A-Z]{2})"', block.group(1))
    if len(codes) < 240:
        raise Fatal(f"{source}: only {len(codes)} country codes found")
    return codes


# ------------------------------------------------------------------------------------------------
# Agreement


def load_agreement(path: str, codes: set[str]) -> dict:
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise Fatal(f"{path}: {exc}") from None
    problems = []
    for key in ("sending_state", "receiving_state", "sentence_profile"):
        if not isinstance(doc.get(key), str):
            problems.append(f"{key}: required")
    profile = doc.get("sentence_profile")
    if profile not in ("us-federal", "two-thirds"):
        problems.append(f"sentence_profile: {profile!r} is not us-federal or two-thirds")
    elig = doc.get("eligibility", {})
    if not isinstance(elig, dict):
        problems.append("eligibility: must be a table")
        elig = {}
    for key, value in elig.items():
        want = ELIGIBILITY_KEYS.get(key)
        if want is None:
            problems.append(f"eligibility.{key}: unknown key")
        elif not isinstance(value, want) or (want is int and (isinstance(value, bool) or value < 0)):
            problems.append(f"eligibility.{key}: must be a {want.__name__}")
    if elig.get("sending_state_citizens", "allowed") not in ("forbidden", "with_consent", "allowed"):
        problems.append("eligibility.sending_state_citizens: forbidden, with_consent or allowed")
    if elig.get("receiving_state_nationals", "allowed") not in ("forbidden", "allowed"):
        problems.append("eligibility.receiving_state_nationals: forbidden or allowed")
    for key, allowed in (
        ("allowed_nationalities", codes),
        ("excluded_offences", set(CHOICES["offence_category"])),
        ("allowed_security_classes", set(CHOICES["security_class"])),
    ):
        for value in elig.get(key, []):
            if value not in allowed:
                problems.append(f"eligibility.{key}: {value!r} is not allowed")
    if problems:
        raise Fatal(f"{path}: " + "; ".join(problems))
    return {"sending": doc["sending_state"], "receiving": doc["receiving_state"], "profile": profile, "elig": elig}


# ------------------------------------------------------------------------------------------------
# SQL


def column_exprs(header: list[str]) -> dict[str, str]:
    """For each known column, the SQL that reads it (c<i>), or NULL when the file lacks it."""
    exprs = {}
    for name in COLUMNS:
        exprs[name] = f"c{header.index(name)}" if name in header else "NULL::VARCHAR"
    return exprs


def read_csv_sql(path: str, width: int, extra: int = 1, parallel: bool = True) -> str:
    """DuckDB's reader, strict RFC 4180, every column VARCHAR, `extra` columns past the header."""
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width + extra)) + "}"
    return (
        f"read_csv({sql_str(path)}, header = true, auto_detect = false, all_varchar = true, "
        f"columns = {columns}, delim = ',', quote = '\"', escape = '\"', nullstr = {sql_str(NULLSTR)}, "
        "null_padding = true, strict_mode = true, ignore_errors = true, store_rejects = true, "
        f"parallel = {'true' if parallel else 'false'})"
    )


def load_persons(con, path: str, width: int) -> None:
    """Fills `persons_raw`, one row per record in input order (its rowid), columns c0..c<width>.

    A short row has NULL in its last real column (an empty field reads as ''), a long row a non-NULL
    c<width>. DuckDB's strict reader rejects a record with more fields than declared: the first
    read declares one extra column, and if any record had more, the file is read again with enough
    extra columns for the longest. Its parallel reader cannot pad short rows once a quoted field
    holds a line break: such a file is read again single-threaded. Anything else it rejects
    (a malformed quote, invalid UTF-8) stops the script rather than being guessed at or dropped.
    """
    extra, parallel = 1, True
    for _attempt in range(4):
        con.execute("DROP TABLE IF EXISTS reject_errors")
        con.execute("DROP TABLE IF EXISTS reject_scans")
        try:
            con.execute("CREATE OR REPLACE TEMP TABLE persons_raw AS SELECT * FROM "
                        + read_csv_sql(path, width, extra, parallel))
        except duckdb.Error as exc:
            if parallel and "quoted new lines" in str(exc):
                parallel = False
                continue
            raise Fatal(f"{path}: {str(exc).splitlines()[0]}") from None
        rejected = con.execute(
            "SELECT DISTINCT line, error_type, csv_line FROM reject_errors ORDER BY line").fetchall()
        if not rejected:
            return
        if all(kind == "TOO MANY COLUMNS" for _, kind, _ in rejected):
            longest = max(len(next(csv.reader([text]), [])) for _, _, text in rejected)
            if longest - width + 1 > extra:
                extra = longest - width + 1
                continue
        listed = "; ".join(f"line {line}: {kind}" for line, kind, _ in rejected[:10])
        raise Fatal(f"{path}: DuckDB's reader rejected {len(rejected)} record(s) ({listed}); "
                    "this script neither guesses at nor drops records")
    raise Fatal(f"{path}: could not be read")


MACROS = """
CREATE OR REPLACE TEMP MACRO observed(d) AS
    CASE isodow(d) WHEN 6 THEN d - 1 WHEN 7 THEN d + 1 ELSE d END;
-- n-th given ISO weekday (Mon = 1) of a month
CREATE OR REPLACE TEMP MACRO nth_weekday(y, m, wd, n) AS
    make_date(y, m, 1) + CAST(((wd - isodow(make_date(y, m, 1)) + 7) % 7) + 7 * (n - 1) AS INTEGER);
CREATE OR REPLACE TEMP MACRO last_monday_of_may(y) AS
    make_date(y, 5, 31) - CAST((isodow(make_date(y, 5, 31)) - 1) % 7 AS INTEGER);
CREATE OR REPLACE TEMP MACRO add_months(d, n) AS CAST(d + to_months(CAST(n AS INTEGER)) AS DATE);
CREATE OR REPLACE TEMP MACRO strict_date(v) AS
    CASE WHEN length(v) = 10 AND NOT starts_with(v, '0000')
              AND strftime(TRY_CAST(v AS DATE), '%Y-%m-%d') = v
         THEN TRY_CAST(v AS DATE) END;
CREATE OR REPLACE TEMP MACRO shown(v) AS '"' || replace(v, '"', '\\"') || '"';
CREATE OR REPLACE TEMP MACRO csv_field(v) AS
    CASE WHEN v IS NULL THEN ''
         WHEN regexp_matches(v, '[,"\\r\\n]') THEN '"' || replace(v, '"', '""') || '"'
         ELSE v END;
"""


def calendar_sql(lo: int, hi: int) -> str:
    """Every day of years lo..hi with the last business day on or before it (docs/sentence.md step 7)."""
    return f"""
CREATE OR REPLACE TEMP TABLE calendar AS
WITH years AS (SELECT CAST(range AS INTEGER) AS y FROM range({lo}, {min(hi + 2, 10000)})),
holidays AS (
    SELECT observed(make_date(y, 1, 1)) AS h FROM years                         -- New Year's Day
    UNION ALL SELECT nth_weekday(y, 1, 1, 3) FROM years WHERE y >= 1986         -- Birthday of MLK Jr.
    UNION ALL SELECT nth_weekday(y, 2, 1, 3) FROM years                         -- Washington's Birthday
    UNION ALL SELECT last_monday_of_may(y) FROM years                           -- Memorial Day
    UNION ALL SELECT observed(make_date(y, 6, 19)) FROM years WHERE y >= 2021   -- Juneteenth
    UNION ALL SELECT observed(make_date(y, 7, 4)) FROM years                    -- Independence Day
    UNION ALL SELECT nth_weekday(y, 9, 1, 1) FROM years                         -- Labor Day
    UNION ALL SELECT nth_weekday(y, 10, 1, 2) FROM years                        -- Columbus Day
    UNION ALL SELECT CASE WHEN y BETWEEN 1971 AND 1977 THEN nth_weekday(y, 10, 1, 4)
                          ELSE observed(make_date(y, 11, 11)) END FROM years    -- Veterans Day
    UNION ALL SELECT nth_weekday(y, 11, 4, 4) FROM years                        -- Thanksgiving Day
    UNION ALL SELECT observed(make_date(y, 12, 25)) FROM years                  -- Christmas Day
),
days AS (
    SELECT CAST(range AS DATE) AS d
    FROM range(DATE '{lo:04d}-01-01', DATE '{hi:04d}-12-31' + INTERVAL 1 DAY, INTERVAL 1 DAY)
)
SELECT d,
       max(CASE WHEN isodow(d) <= 5 AND d NOT IN (SELECT h FROM holidays) THEN d END)
           OVER (ORDER BY d ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS last_business_day
FROM days
"""


def calc_sql(header: list[str], agreement: dict) -> str:
    """One row per input row: validation result and every value the rules need."""
    col = column_exprs(header)
    width = len(header)
    last = f"c{width - 1}"
    nn = {name: f"NULLIF({expr}, '')" for name, expr in col.items()}  # '' and a missing column: unknown
    sending, receiving = agreement["sending"], agreement["receiving"]
    allowed_nat = agreement["elig"].get("allowed_nationalities") or []
    allowed_nat_sql = f"np.code IN {sql_list(allowed_nat)}" if allowed_nat else "false"

    # A row with the wrong number of fields reports only that; otherwise every problem is listed,
    # person_id first, then the columns in the order of the docs/person-file.md table.
    count_check = (f"CASE WHEN {last} IS NULL THEN 'INPUT: row has fewer fields than the header' "
                   f"WHEN c{width} IS NOT NULL THEN 'INPUT: row has more fields than the header' END")
    checks = [
        ("p.person_id = ''", "'INPUT: person_id: is empty'"),
        ("dup.first_rn < p.rn",
         "'INPUT: person_id: ' || shown(p.person_id) || ' repeats the id of data row ' || CAST(dup.first_rn + 1 AS VARCHAR)"),
    ]
    for name in COLUMNS[3:]:
        if name not in header:
            continue
        value = f"p.{name}"
        if name in DATE_COLUMNS:
            cond = f"{value} IS NOT NULL AND strict_date({value}) IS NULL"
            msg = "is not a YYYY-MM-DD calendar date"
        elif name in CHOICES:
            cond = f"{value} IS NOT NULL AND {value} NOT IN {sql_list(CHOICES[name])}"
            msg = "is not one of: " + ", ".join(CHOICES[name])
        elif name == "nationalities":
            cond = f"{value} IS NOT NULL AND NOT nat.ok"
            msg = "is not a list of distinct ISO 3166-1 alpha-2 codes joined by ;"
        elif name == "sentence_term":
            cond = f"{value} IS NOT NULL AND NOT trm.ok"
            msg = "is not <n>y<n>m<n>d (in this order, at least one number > 0) or life"
        elif name == "jail_credit_days":
            cond = f"{value} IS NOT NULL AND NOT regexp_full_match({value}, '[0-9]+')"
            msg = "is not a whole number of days (0 or more)"
        else:
            continue
        checks.append((cond, f"'INPUT: {name}: ' || shown({value}) || ' {msg}'"))
    listed = ",\n            ".join(f"CASE WHEN {c} THEN {m} END" for c, m in checks)
    input_error = f"coalesce({count_check}, NULLIF(concat_ws('; ',\n            {listed}), ''))"

    selected = ",\n        ".join(f"{nn[name]} AS {name}" for name in COLUMNS[1:])
    return f"""
CREATE OR REPLACE TEMP TABLE calc AS
WITH p AS NOT MATERIALIZED (   -- a projection of the table: scanning it again is cheaper than a copy
    SELECT rowid AS rn, {last}, c{width},
        coalesce({col['person_id']}, '') AS person_id,
        {selected}
    FROM persons_raw
),
dup AS (   -- ids seen more than once, with the row that came first
    SELECT person_id, min(rn) AS first_rn FROM p WHERE person_id <> '' GROUP BY person_id HAVING count(*) > 1
),
nat_parts AS (
    SELECT s, unnest(string_split(s, ';')) AS code
    FROM (SELECT DISTINCT nationalities AS s FROM p WHERE nationalities IS NOT NULL)
),
nat AS (   -- one row per distinct nationalities string
    SELECT np.s,
           bool_and(c.code IS NOT NULL) AND count(*) = count(DISTINCT np.code) AS ok,
           bool_or(np.code = {sql_str(sending)}) AS has_sending,
           bool_or(np.code = {sql_str(receiving)}) AS has_receiving,
           bool_or({allowed_nat_sql}) AS has_allowed
    FROM nat_parts np LEFT JOIN country_codes c ON c.code = np.code
    GROUP BY np.s
),
trm_parts AS (   -- one row per distinct term string
    SELECT t, t = 'life' AS life,
           regexp_full_match(t, '([0-9]+y)?([0-9]+m)?([0-9]+d)?') AS syntax_ok,
           regexp_extract(t, '^(?:([0-9]+)y)?(?:([0-9]+)m)?(?:([0-9]+)d)?$', ['y', 'm', 'd']) AS g
    FROM (SELECT DISTINCT sentence_term AS t FROM p WHERE sentence_term IS NOT NULL)
),
trm AS (
    SELECT t, life,
           life OR (syntax_ok AND ltrim(g.y || g.m || g.d, '0') <> '') AS ok,
           g.y = '' AND g.m = '' AS day_only,
           -- numbers with leading zeros stripped; capped so date arithmetic stays in range
           least(CASE WHEN length(ltrim(g.y, '0')) > 7 THEN 10000000 ELSE TRY_CAST(coalesce(nullif(g.y, ''), '0') AS BIGINT) END * 12
                 + CASE WHEN length(ltrim(g.m, '0')) > 8 THEN 100000000 ELSE TRY_CAST(coalesce(nullif(g.m, ''), '0') AS BIGINT) END,
                 {CAP_MONTHS}) AS months,
           least(CASE WHEN length(ltrim(g.d, '0')) > 9 THEN 1000000000 ELSE TRY_CAST(coalesce(nullif(g.d, ''), '0') AS BIGINT) END,
                 {CAP_DAYS}) AS days
    FROM trm_parts
),
v AS (
    SELECT p.rn, p.person_id,
        {input_error} AS input_error,
        strict_date(p.birth_date) AS birth,
        p.nationalities IS NOT NULL AS nat_known, nat.has_sending, nat.has_receiving, nat.has_allowed,
        p.conviction, p.offence_category, p.security_class, p.consent, p.removal_order,
        p.torture_risk, strict_date(p.torture_risk_assessed_on) AS assessed_on, p.care_needs,
        strict_date(p.sentence_start) AS s,
        trm.t IS NOT NULL AS term_known, trm.life, trm.day_only, trm.months, trm.days,
        CASE WHEN p.jail_credit_days IS NULL THEN 0
             WHEN length(ltrim(p.jail_credit_days, '0')) > 9 THEN {CAP_CREDIT}
             ELSE least(TRY_CAST(p.jail_credit_days AS BIGINT), {CAP_CREDIT}) END AS credit
    FROM p
    LEFT JOIN dup ON dup.person_id = p.person_id
    LEFT JOIN nat ON nat.s = p.nationalities
    LEFT JOIN trm ON trm.t = p.sentence_term
),
-- docs/sentence.md step 1: full term (only for valid rows with a known start and a fixed term)
ft AS (
    SELECT *,
        CASE WHEN input_error IS NULL AND s IS NOT NULL AND NOT life THEN
            CASE WHEN day_only THEN s + CAST(days - 1 AS INTEGER)
                 ELSE add_months(s, months) + CAST(days - 1 AS INTEGER) END
        END AS full_term
    FROM v
),
-- steps 3-4: does the term earn GCT, whole years W and partial days P
wp AS (
    SELECT *,
        CASE WHEN day_only THEN days > 365 ELSE full_term >= add_months(s, 12) END AS qualifies,
        -- W = largest k with add_months(S, 12k) <= FT + 1: that anniversary falls in the year of
        -- FT + 1 or the year before.
        CASE WHEN day_only THEN days // 365
             ELSE (year(full_term + 1) - year(s))
                  - CASE WHEN add_months(s, 12 * (year(full_term + 1) - year(s))) > full_term + 1 THEN 1 ELSE 0 END
        END AS w
    FROM ft
),
gct AS (
    SELECT *,
        CASE WHEN NOT qualifies THEN 0
             WHEN day_only THEN w * {GCT_RATE} + (days % 365) * {GCT_RATE} // 365
             ELSE w * {GCT_RATE} + ((full_term + 1) - add_months(s, 12 * w)) * {GCT_RATE} // 365
        END AS gct_days
    FROM wp
)
SELECT rn, person_id, birth, nat_known, has_sending, has_receiving, has_allowed,
       conviction, offence_category, security_class, consent, removal_order, torture_risk, assessed_on,
       care_needs, s, term_known, coalesce(life, false) AS life, full_term, statutory,
       -- dates are written YYYY-MM-DD: a sentence whose dates leave the years 1-9999 makes the row invalid
       coalesce(input_error,
                CASE WHEN full_term > DATE '9999-12-31' OR full_term - CAST(credit AS INTEGER) < DATE '0001-01-01'
                          OR statutory < DATE '0001-01-01'
                     THEN 'INPUT: sentence_term: the sentence dates fall outside the years 1-9999' END) AS input_error
FROM (
    SELECT *,
       -- steps 2, 5, 6: statutory release R (us-federal) / two-thirds release before the clamp
       CASE WHEN {sql_str(agreement['profile'])} = 'us-federal'
            THEN full_term - CAST(credit AS INTEGER) - CAST(gct_days AS INTEGER)
            ELSE s + CAST((2 * (full_term - s + 1) + 2) // 3 - 1 - credit AS INTEGER)
       END AS statutory
    FROM gct
)
"""


def rule_exprs(agreement: dict, as_of: dt.date) -> list[tuple[str, str]]:
    """(code, SQL) for every configured rule; the SQL is NULL for pass, 'F' for fail, 'U' for unknown."""
    e = agreement["elig"]
    as_of_sql = f"DATE '{as_of.isoformat()}'"
    term_known = "(s IS NOT NULL AND term_known)"
    rules: list[tuple[str, str]] = []
    if e.get("require_final_conviction"):
        rules.append(("E01", "CASE WHEN conviction IS NULL THEN 'U' WHEN conviction <> 'final' THEN 'F' END"))
    if "min_age" in e:
        n = e["min_age"]
        md = as_of.month * 100 + as_of.day
        rules.append(("E02", f"""CASE WHEN birth IS NULL THEN 'U'
             WHEN {as_of.year} - year(birth) - CASE WHEN {md} < month(birth) * 100 + day(birth) THEN 1 ELSE 0 END < {n}
             THEN 'F' END"""))
    if "min_sentence_days" in e:
        rules.append(("E03", f"""CASE WHEN life THEN NULL WHEN NOT {term_known} THEN 'U'
             WHEN full_term - s + 1 < {e['min_sentence_days']} THEN 'F' END"""))
    if "min_remaining_days" in e:
        rules.append(("E04", f"""CASE WHEN life THEN NULL WHEN NOT {term_known} THEN 'U'
             WHEN projected - {as_of_sql} < {e['min_remaining_days']} THEN 'F' END"""))
    rules.append(("E05", f"""CASE WHEN life THEN NULL WHEN NOT {term_known} THEN 'U'
             WHEN projected <= {as_of_sql} THEN 'F' END"""))
    if e.get("exclude_life_sentences"):
        rules.append(("E06", "CASE WHEN NOT term_known THEN 'U' WHEN life THEN 'F' END"))
    policy = e.get("sending_state_citizens")
    if policy == "forbidden":
        rules.append(("E07", "CASE WHEN NOT nat_known THEN 'U' WHEN has_sending THEN 'F' END"))
    elif policy == "with_consent":
        rules.append(("E07", """CASE WHEN NOT nat_known THEN 'U'
             WHEN has_sending THEN CASE consent WHEN 'given' THEN NULL WHEN 'refused' THEN 'F' ELSE 'U' END END"""))
    if e.get("receiving_state_nationals") == "forbidden":
        rules.append(("E08", "CASE WHEN NOT nat_known THEN 'U' WHEN has_receiving THEN 'F' END"))
    if "allowed_nationalities" in e:
        rules.append(("E09", "CASE WHEN NOT nat_known THEN 'U' WHEN NOT has_allowed THEN 'F' END"))
    if e.get("require_consent"):
        if e.get("consent_waived_by_removal_order"):
            rules.append(("E10", """CASE WHEN removal_order = 'final' THEN NULL
             WHEN consent = 'given' THEN NULL
             WHEN consent IS NULL THEN 'U'
             WHEN removal_order IS NULL THEN 'U'
             ELSE 'F' END"""))
        else:
            rules.append(("E10", "CASE WHEN consent IS NULL THEN 'U' WHEN consent <> 'given' THEN 'F' END"))
    if e.get("require_removal_order"):
        rules.append(("E11", "CASE WHEN removal_order IS NULL THEN 'U' WHEN removal_order <> 'final' THEN 'F' END"))
    if "excluded_offences" in e:
        listed = sql_list(e["excluded_offences"]) if e["excluded_offences"] else "(NULL)"
        rules.append(("E12", f"CASE WHEN offence_category IS NULL THEN 'U' WHEN offence_category IN {listed} THEN 'F' END"))
    if "allowed_security_classes" in e:
        listed = sql_list(e["allowed_security_classes"]) if e["allowed_security_classes"] else "(NULL)"
        rules.append(("E13", f"""CASE WHEN security_class IS NULL THEN 'U'
             WHEN security_class NOT IN {listed} OR NOT {bool(e['allowed_security_classes'])} THEN 'F' END"""))
    if e.get("exclude_care_needs"):
        rules.append(("E14", "CASE WHEN care_needs IS NULL THEN 'U' WHEN care_needs <> 'no' THEN 'F' END"))
    if "torture_risk_max_age_days" in e:
        rules.append(("E15", f"""CASE WHEN torture_risk = 'risk' THEN 'F'
             WHEN torture_risk = 'no_risk' AND assessed_on <= {as_of_sql}
                  AND {as_of_sql} - assessed_on <= {e['torture_risk_max_age_days']} THEN NULL
             ELSE 'U' END"""))
    rules.sort(key=lambda r: r[0])
    return rules


def projected_sql(agreement: dict, with_calendar: bool) -> tuple[str, str]:
    """The projected release date of a calc row, and the join it needs."""
    if agreement["profile"] == "us-federal":
        # steps 6-7: due at once when R < S; else the last business day on or before R, never before S
        projected = ("CASE WHEN statutory < s THEN s "
                     "ELSE greatest(coalesce(cal.last_business_day, statutory), s) END")
        join = "LEFT JOIN calendar cal ON cal.d = calc.statutory" if with_calendar else ""
    else:
        projected, join = "greatest(statutory, s)", ""
    return projected, join


def output_sql(agreement: dict, as_of: dt.date, out_path: str, with_calendar: bool) -> str:
    rules = rule_exprs(agreement, as_of)
    rule_cols = ",\n        ".join(f"{sql} AS {code}" for code, sql in rules)
    reasons = "concat_ws(';', " + ", ".join(
        f"CASE {code} WHEN 'F' THEN '{code}' WHEN 'U' THEN '{code}?' END" for code, _ in rules) + ")"
    any_fail = " OR ".join(f"{code} = 'F'" for code, _ in rules)
    any_unknown = " OR ".join(f"{code} = 'U'" for code, _ in rules)
    projected, join = projected_sql(agreement, with_calendar)
    return f"""
COPY (
    WITH r AS (
        SELECT calc.*, {projected} AS projected
        FROM calc {join}
    ),
    d AS (
        SELECT rn, person_id, input_error,
        {rule_cols}
        FROM r
    )
    SELECT csv_field(person_id) || ',' ||
           CASE WHEN input_error IS NOT NULL THEN 'invalid,' || csv_field(input_error)
                WHEN {any_fail} THEN 'ineligible,' || {reasons}
                WHEN {any_unknown} THEN 'review,' || {reasons}
                ELSE 'eligible,' END AS "person_id,decision,reasons"
    FROM d
    ORDER BY rn
) TO {sql_str(out_path)} (FORMAT csv, HEADER true, QUOTE '', ESCAPE '', DELIMITER '\x01')
"""


# ------------------------------------------------------------------------------------------------


def read_header(path: str) -> list[str]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:  # a byte-order mark is not a name
            header = next(csv.reader(f), None)
    except (OSError, UnicodeDecodeError) as exc:
        raise Fatal(f"{path}: {exc}") from None
    if not header:
        raise Fatal(f"{path}: no header row")
    if "person_id" not in header:
        raise Fatal(f"{path}: the header has no person_id column")
    for name in COLUMNS:
        if header.count(name) > 1:
            raise Fatal(f"{path}: the header names column {name} twice")
    return header


def parse_as_of(text: str) -> dt.date:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise Fatal(f"--as-of: {text!r} is not YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise Fatal(f"--as-of: {exc}") from None


def connect(codes: list[str], threads: int = 0) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()  # in memory; DuckDB's default thread count is every core
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute("SET preserve_insertion_order = true")
    for statement in MACROS.split(";\n"):
        if statement.strip():
            con.execute(statement)
    con.execute("CREATE TEMP TABLE country_codes AS SELECT * FROM (VALUES "
                + ", ".join(f"('{c}')" for c in codes) + ") t(code)")
    return con


def prepare(con, persons: str, header: list[str], agreement: dict) -> dict[str, float]:
    """Reads the file and fills the tables `calc` and (us-federal) `calendar`. Returns timings."""
    timings = {}
    t0 = time.perf_counter()
    load_persons(con, persons, len(header))
    t1 = time.perf_counter()
    timings["read"] = t1 - t0

    con.execute(calc_sql(header, agreement))
    t2 = time.perf_counter()
    timings["validate+sentence"] = t2 - t1

    if agreement["profile"] == "us-federal":
        lo, hi = con.execute(
            "SELECT min(year(statutory)), max(year(statutory)) FROM calc "
            "WHERE statutory >= s AND statutory <= DATE '9999-12-31'").fetchone()
        lo = max(1, min(CAL_MIN_YEAR, (lo or CAL_MIN_YEAR) - 1))
        hi = min(9999, max(CAL_MAX_YEAR, hi or CAL_MAX_YEAR))
        con.execute(calendar_sql(lo, hi))
    timings["calendar"] = time.perf_counter() - t2
    return timings


def run(args: argparse.Namespace) -> None:
    codes = country_codes()
    agreement = load_agreement(args.agreement, set(codes))
    as_of = parse_as_of(args.as_of)
    header = read_header(args.persons)
    con = connect(codes, args.threads)

    t0 = time.perf_counter()
    timings = prepare(con, args.persons, header, agreement)
    t3 = time.perf_counter()
    # A regular file is written complete or not at all (as `custodia screen --out`): to a temporary
    # name first, then renamed. Anything else (/dev/stdout, a pipe) is written in place.
    special = os.path.exists(args.out) and not os.path.isfile(args.out)
    target = args.out if special else f"{args.out}.partial"
    con.execute(output_sql(agreement, as_of, target, agreement["profile"] == "us-federal"))
    if not special:
        os.replace(target, args.out)
    t4 = time.perf_counter()
    timings["rules+write"] = t4 - t3

    rows = con.execute("SELECT count(*) FROM calc").fetchone()[0]
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    detail = ", ".join(f"{k} {v:.3f}s" for k, v in timings.items())
    print(f"duckdb {duckdb.__version__}: {rows} rows screened in {t4 - t0:.3f}s wall "
          f"(query+write: {detail}; {threads} threads)", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agreement", required=True)
    ap.add_argument("--persons", required=True)
    ap.add_argument("--as-of", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=0, help="DuckDB threads (default: DuckDB's, all cores)")
    args = ap.parse_args(argv)
    try:
        run(args)
    except Fatal as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
