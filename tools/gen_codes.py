#!/usr/bin/env python3
"""Generate crates/custodia-core/src/codes.rs: the ISO 3166-1 and ISO 4217 code tables.

Usage (from anywhere; paths are resolved from this file):

    python3 -m venv /tmp/codes-venv
    /tmp/codes-venv/bin/pip install pycountry iso4217
    /tmp/codes-venv/bin/python tools/gen_codes.py           # rewrite codes.rs
    /tmp/codes-venv/bin/python tools/gen_codes.py --check   # exit 1 if codes.rs is stale

Sources:
- Countries: PyPI `pycountry` (ISO 3166-1 data of Debian's iso-codes). Only officially assigned
  alpha-2 codes are in that database (249 at pycountry 26.2.16); `XK` (Kosovo, a user-assigned code
  in wide use, docs/agreement-file.md) is added by hand.
- Currencies: PyPI `iso4217`, which ships the ISO 4217 maintenance agency's List One (active codes,
  with minor units) as `table.xml` and states its publication date. The set of codes is cross-checked
  against pycountry's ISO 4217 database, and the minor units against the hand table of exceptions
  below, so that a change in either package stops the generator instead of slipping through.

The output is piped through `rustfmt` (edition 2024, the repository's rustfmt.toml if any) when it
is on PATH, so that `cargo fmt --check` stays clean.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import iso4217
import pycountry

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "crates" / "custodia-core" / "src" / "codes.rs"

# Codes added to the officially assigned ISO 3166-1 alpha-2 set.
EXTRA_COUNTRIES = {"XK": "Kosovo (user-assigned code, used by the EU, IMF, SWIFT and others)"}

# Expected exceptions to "2 minor digits", to catch silent upstream changes. `None` = ISO says
# "N.A." (metals, funds, test and no-currency codes have no minor unit).
EXPECTED_MINOR_EXCEPTIONS: dict[str, int | None] = {
    **{c: 0 for c in "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split()},
    **{c: 3 for c in "BHD IQD JOD KWD LYD OMR TND".split()},
    **{c: 4 for c in "CLF UYW".split()},
    **{c: None for c in "XAG XAU XBA XBB XBC XBD XDR XPD XPT XSU XTS XUA XXX".split()},
}

# Spot checks that must hold whatever the package versions.
MUST_HAVE_COUNTRIES = {"US", "SV", "XK", "NL", "BE", "NO", "DK", "SE", "EE"}
MUST_NOT_HAVE_COUNTRIES = {"UK", "EU", "us"}
MUST_HAVE_CURRENCIES = {"USD", "EUR", "NOK", "DKK", "SEK"}


def fail(message: str) -> None:
    print(f"gen_codes.py: {message}", file=sys.stderr)
    sys.exit(1)


def country_codes() -> list[str]:
    codes = {c.alpha_2 for c in pycountry.countries}
    if len(codes) != 249:
        fail(f"pycountry lists {len(codes)} officially assigned alpha-2 codes, expected 249: review")
    if not all(len(c) == 2 and c.isascii() and c.isupper() for c in codes):
        fail("pycountry returned a code that is not two upper-case ASCII letters")
    codes |= set(EXTRA_COUNTRIES)
    return sorted(codes)


def currency_table() -> list[tuple[str, int | None]]:
    table: dict[str, int | None] = {}
    for code, entry in iso4217.raw_table.items():
        if code is None:  # "No universal currency" rows (Antarctica, Palestine, ...)
            continue
        units = entry["CcyMnrUnts"]
        if units == "N.A.":
            table[code] = None
        elif units is not None and units.isdigit():
            table[code] = int(units)
        else:
            fail(f"{code}: unexpected minor unit {units!r} in iso4217's List One")
    if not all(len(c) == 3 and c.isascii() and c.isupper() for c in table):
        fail("iso4217 returned a code that is not three upper-case ASCII letters")
    pycountry_codes = {c.alpha_3 for c in pycountry.currencies}
    if set(table) != pycountry_codes:
        fail(
            "iso4217 and pycountry disagree on the active currency codes: "
            f"only iso4217 {sorted(set(table) - pycountry_codes)}, "
            f"only pycountry {sorted(pycountry_codes - set(table))}"
        )
    exceptions = {c: d for c, d in table.items() if d != 2}
    if exceptions != EXPECTED_MINOR_EXCEPTIONS:
        fail(
            "minor units differ from the expected exceptions: "
            f"got {sorted(exceptions.items(), key=lambda kv: kv[0])}; review and update "
            "EXPECTED_MINOR_EXCEPTIONS in tools/gen_codes.py"
        )
    return sorted(table.items())


def str_list(items: list[str]) -> str:
    return "".join(f'"{c}", ' for c in items)


def render() -> str:
    countries = country_codes()
    currencies = currency_table()
    for c in MUST_HAVE_COUNTRIES:
        if c not in countries:
            fail(f"country {c} missing")
    for c in MUST_NOT_HAVE_COUNTRIES:
        if c in countries:
            fail(f"{c} must not be a country code")
    for c in MUST_HAVE_CURRENCIES:
        if c not in dict(currencies):
            fail(f"currency {c} missing")
    with_digits = [(c, d) for c, d in currencies if d is not None]
    without_digits = [c for c, d in currencies if d is None]

    pycountry_version = importlib.metadata.version("pycountry")
    iso4217_version = importlib.metadata.version("iso4217")
    published = iso4217.__published__.isoformat()

    minor_rows = "".join(f'("{c}", {d}), ' for c, d in with_digits)
    return f"""\
// @generated by tools/gen_codes.py from PyPI pycountry {pycountry_version} and iso4217 {iso4217_version}.
// Do not edit by hand: change the generator and run it again.

//! ISO code tables.
//!
//! Source:
//! - ISO 3166-1 alpha-2: the {len(countries) - len(EXTRA_COUNTRIES)} officially assigned codes of the Python package `pycountry`
//!   {pycountry_version} (Debian iso-codes data), plus `XK` (Kosovo, user-assigned, in wide use; docs/agreement-file.md).
//!   Reserved, transitional and other user-assigned codes (`UK`, `EU`, `EL` …) are not country
//!   codes here.
//! - ISO 4217: List One (current currency and funds codes) published {published}, as shipped by the
//!   Python package `iso4217` {iso4217_version}: {len(currencies)} codes with their minor units. The code set equals
//!   pycountry's ISO 4217 database. Historic codes (List Three, e.g. `HRK`) are not included.
//!
//! All lookups are exact and case-sensitive: `us` and `usd` are not codes.

/// Officially assigned ISO 3166-1 alpha-2 codes, plus `XK` (Kosovo, user-assigned, in wide use).
/// Sorted.
pub const COUNTRY_CODES: &[&str] = &[{str_list(countries)}];

/// Active ISO 4217 currency codes. Sorted.
pub const CURRENCY_CODES: &[&str] = &[{str_list([c for c, _ in currencies])}];

/// Minor-unit exponent of each active ISO 4217 code that has one, sorted by code. The codes that
/// ISO lists with minor unit "N.A." are absent:
/// {", ".join(f"`{c}`" for c in without_digits)}.
const CURRENCY_MINOR_DIGITS: &[(&str, u8)] = &[{minor_rows}];

/// Whether `code` is an officially assigned ISO 3166-1 alpha-2 code or `XK`. Exact, case-sensitive.
#[must_use]
pub fn is_country_code(code: &str) -> bool {{
    COUNTRY_CODES.binary_search(&code).is_ok()
}}

/// Whether `code` is an active ISO 4217 currency code. Exact, case-sensitive.
#[must_use]
pub fn is_currency_code(code: &str) -> bool {{
    CURRENCY_CODES.binary_search(&code).is_ok()
}}

/// Minor-unit exponent of an ISO 4217 currency (USD 2, JPY 0, KWD 3), None if unknown or not
/// applicable (metals, funds and other X-codes with minor unit "N.A.", such as `XAU` and `XDR`).
#[must_use]
pub fn currency_minor_digits(code: &str) -> Option<u8> {{
    CURRENCY_MINOR_DIGITS
        .binary_search_by(|&(candidate, _)| candidate.cmp(code))
        .ok()
        .and_then(|index| CURRENCY_MINOR_DIGITS.get(index))
        .map(|&(_, digits)| digits)
}}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {{
    use super::*;

    #[test]
    fn tables_are_strictly_sorted() {{
        assert!(COUNTRY_CODES.windows(2).all(|w| w[0] < w[1]));
        assert!(CURRENCY_CODES.windows(2).all(|w| w[0] < w[1]));
        assert!(CURRENCY_MINOR_DIGITS.windows(2).all(|w| w[0].0 < w[1].0));
    }}

    #[test]
    fn table_sizes() {{
        assert_eq!(COUNTRY_CODES.len(), {len(countries)});
        assert_eq!(CURRENCY_CODES.len(), {len(currencies)});
        assert_eq!(CURRENCY_MINOR_DIGITS.len(), {len(with_digits)});
    }}

    #[test]
    fn codes_are_upper_case_ascii_letters() {{
        assert!(COUNTRY_CODES.iter().all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase())));
        assert!(CURRENCY_CODES.iter().all(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase())));
    }}

    #[test]
    fn country_codes() {{
        for code in ["US", "SV", "XK", "NL", "BE", "NO", "DK", "SE", "EE", "GB", "AD", "ZW"] {{
            assert!(is_country_code(code), "{{code}}");
        }}
        for code in ["UK", "EU", "us", "EL", "ZZ", "", "U", "USA", " US", "US "] {{
            assert!(!is_country_code(code), "{{code:?}}");
        }}
    }}

    #[test]
    fn currency_codes() {{
        for code in ["USD", "EUR", "NOK", "DKK", "SEK", "JPY", "XAU", "XDR"] {{
            assert!(is_currency_code(code), "{{code}}");
        }}
        for code in ["usd", "EURO", "EU", "", "ABC", "HRK", "BGN"] {{
            assert!(!is_currency_code(code), "{{code:?}}");
        }}
    }}

    #[test]
    fn minor_digits() {{
        assert_eq!(currency_minor_digits("USD"), Some(2));
        assert_eq!(currency_minor_digits("EUR"), Some(2));
        assert_eq!(currency_minor_digits("NOK"), Some(2));
        assert_eq!(currency_minor_digits("JPY"), Some(0));
        assert_eq!(currency_minor_digits("XOF"), Some(0));
        assert_eq!(currency_minor_digits("KWD"), Some(3));
        assert_eq!(currency_minor_digits("TND"), Some(3));
        assert_eq!(currency_minor_digits("CLF"), Some(4));
        assert_eq!(currency_minor_digits("UYW"), Some(4));
        assert_eq!(currency_minor_digits("XAU"), None);
        assert_eq!(currency_minor_digits("XDR"), None);
        assert_eq!(currency_minor_digits("XXX"), None);
        assert_eq!(currency_minor_digits("usd"), None);
        assert_eq!(currency_minor_digits("ABC"), None);
    }}

    #[test]
    fn every_minor_unit_belongs_to_a_currency() {{
        assert!(CURRENCY_MINOR_DIGITS.iter().all(|&(code, digits)| is_currency_code(code) && digits <= 4));
    }}
}}
"""


def rustfmt(text: str) -> str:
    exe = shutil.which("rustfmt")
    if exe is None:
        print("gen_codes.py: rustfmt not found, output left unformatted", file=sys.stderr)
        return text
    # Format a temporary file inside the target directory so the repository's rustfmt.toml applies.
    with tempfile.NamedTemporaryFile("w", suffix=".rs", dir=OUT.parent, delete=False, encoding="utf-8") as tmp:
        tmp.write(text)
        tmp_path = Path(tmp.name)
    try:
        subprocess.run([exe, "--edition", "2024", str(tmp_path)], check=True)
        return tmp_path.read_text(encoding="utf-8")
    finally:
        tmp_path.unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if codes.rs differs from the generated text")
    args = parser.parse_args()
    text = rustfmt(render())
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            print(f"{OUT.relative_to(REPO)} is stale: run tools/gen_codes.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
