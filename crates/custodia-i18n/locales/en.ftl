# Custodia's English catalogue. Keys are the stable codes (E07, ON_HOLD, HELD_BEYOND_RELEASE) or
# names of page texts; es.ftl holds exactly the same keys (a test fails otherwise). docs/languages.md
# says how to add a message.

## Languages and formats

language-name = English
date-long = { $day } { $month } { $year }
days = { $count ->
    [one] { $count } day
   *[other] { $count } days
}
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December

## Web interface (web-…)

web-skip-to-content = Skip to content
web-language-switch = Language
web-language-unknown = The language asked for is not offered: choose es or en.
web-nav-label = Main
web-nav-home = Home
web-nav-waiting = Waiting for you
web-nav-cases = Cases
web-sign-out = Sign out
web-footer = Custodia — the shared register, rulebook and ledger of a custody agreement.
web-refused-title = Refused
web-refusal-code = Code
web-back-home = Back to the home page
web-field = field
web-csrf-refused = The form did not carry this session's security token (rule: every form is posted with the CSRF token of the session that showed it). Nothing was changed. Reload the page and try again.
web-no-randomness = The server could not draw random numbers for a session; nothing was changed.
web-sign-in-title = Sign in
web-sign-in = Sign in
web-sign-in-name = User name
web-sign-in-password = Password
web-sign-in-UNAUTHENTICATED = Wrong user name or password.
web-sign-in-RATE_LIMITED = Too many failed sign-ins from this address or for this user: wait a minute before trying again.
web-home-title = Custodia
web-home-welcome = Signed in as { $name }.
web-home-agreements = Agreements
web-home-no-agreements = No agreement is in your scope.
web-home-cases-of = cases
web-role-admin = administrator
web-role-sending_officer = sending state's officer
web-role-receiving_officer = receiving state's officer
web-role-facility_officer = facility officer
web-role-legal_officer = legal officer
web-role-finance_officer = finance officer
web-role-inspector = inspector
web-role-auditor = auditor
