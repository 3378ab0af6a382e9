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

## Messages of the stable codes (API errors, refusals, alerts, rule texts, command-line messages).
## The key is the code; attributes are the code's particular forms (`NOT_FOUND.record`). The
## English texts are the ones the code wrote before the catalogues; tests keep them identical.

# The generic codes of the API and the command line.
UNAUTHENTICATED = a valid bearer token is required
    .token = the token is not valid ({ $why ->
        [expired] expired
        [disabled] the user is disabled
        [role] unknown role
       *[unknown] unknown or revoked
    })
    .sign-in = wrong user name or password
    .metrics = the metrics token is required
NOT_FOUND = no such resource
    .route = no such route
    .record = { $what ->
        [person] person
        [case] case
        [agreement] agreement
        [invoice] invoice
        [user] user
        [user-change] user change
        [cell-change] cell change
        [incident] incident
        [complaint] complaint
        [facility] facility
        [care-record] record of care
        [placement] placement in solitary confinement
        [inspection] inspection
        [token] token
        [subscription] subscription
       *[other] { $what }
    } { $id } does not exist
    .recommendation = inspection { $id } has no recommendation { $index }
    .person-of = person { $id } of { $state } does not exist
    .facility = facility { $facility } of agreement { $agreement } does not exist
    .register = no register at { $place }: create one with `custodia init --admin NAME` (or point --data-dir / --database at an existing one)
    .detail = { $detail }
    .tile = { $tile } is not in the journal of { $size } events (a partial tile exists only at the width the current size gives it)
FORBIDDEN = the { $role } role may not do this ({ $capability })
    .subscriptions = the { $role } role may not subscribe to alerts here: subscribing takes a role other than admin whose scope holds every facility of the agreement
    .overrides = the { $role } role may not approve capacity overrides
    .access-changes = the { $role } role may not read access changes
    .whole-journal = the events themselves are for inspectors and auditors whose scope covers every agreement in the register (the { $role } role, { $scope })
    .journal-events = the events are for inspectors and auditors (the { $role } role may read the hash tiles, the checkpoint and the proofs)
INVALID = the request was refused
    .unreadable = the request could not be read
    .required = must not be empty
    .too-long = must be at most { $max } bytes (it has { $length })
    .length = must be 1 to { $max } characters
    .date = { $value }: { $why ->
        [no-such-day] no such calendar day ({ $month } { $year } has { $days } days)
        [no-such-month] no such month: { $month }
        [no-such-year] no such year: 0000 (years start at 0001)
        [range] date outside the supported range 0001-01-01..9999-12-31
       *[format] must be a date written YYYY-MM-DD
    }
    .not-one-of = { $value } is not one of { $allowed }
    .must-be = must be { $allowed }
    .range = must be 1 to { $max }
    .future = must be in the future
    .items = at most { $max } items
    .url = must be an http:// or https:// URL with a host and no spaces
    .secret = must be { $min } to { $max } bytes
    .email = must be an e-mail address (name@domain)
    .not-for-channel = is not used by this channel
    .json = must be application/json
    .etag = must be an ETag
    .not-both = give { $a } or { $b }, not both
    .lifetime = { $value } is not a lifetime such as 30d, 8h, 90m or 3600s
    .ten-years = must be at most ten years
    .ten-years-away = must be at most ten years away
    .scope = must list 1 to { $max } ids, or "*"
    .not-an-id = { $value } is not an id
    .unknown-agreement = { $value } is not an agreement of this register (known: { $known })
    .password = must be 12 characters to { $max } bytes
    .label = must be 1 to { $max } bytes without control characters
    .no-change = changes nothing: give a new role, agreements or facilities
    .bytes = must be 1 to { $max } bytes long
    .control = must not contain control characters
    .at-least = must be at least { $min }
    .beyond-journal = { $size } is beyond the journal, which has { $events } events
    .old-size = must be between 1 and the tree size { $size }
    .after-end = must not be after the end of the export ({ $end })
    .between = must be { $min } to { $max }
    .run-months = runs × months must be at most { $max } (it is { $value })
    .is-not = { $value } is not { $allowed }
    .approval = is not an approval for this case and cell
    .one-finding = at most one finding per rule
    .rule = { $value } is not a rule code (E01 to E15)
    .two-findings = { $rule } has two findings
    .case-state = { $value } is not a case state
    .in-future = { $at } is in the future (now is { $now })
    .not-admitted = an admission examination is of a person admitted: this case has no intake record
    .only-refused = only a refused visit has a ground and a reason
    .not-placement = record { $id } is { $kind ->
        [examination] an examination
        [visit] a visit
       *[other] { $kind }
    }, not a placement in solitary confinement
    .before-from = must not be before `from`
    .period-too-long = the period must be shorter than { $max } days
    .confidential-filer = a confidential complaint is recorded by an inspector or an officer of the sending state (the facility never reads it)
    .other-agreement = case { $case } is a case of { $of }, not of { $agreement }
    .before-incident = is before the incident occurred ({ $occurred })
    .key = must be 1 to { $max } visible ASCII characters
    .required-for = is required for { $action }
    .action = { $value } is not an action (place and lift holds at /api/v1/holds)
    .etag-of = { $value } is not an ETag of this API
    .format = { $value } must be json, canonical or csv
    .integer = { $value } must be an integer
    .too-large = too large
    .rows = more than { $max } rows: send the file in parts, or use { $command }
    .locator-id = give person_id alone, 1 to 256 characters
    .locator-together = give family_name and birth_year together
    .locator-name = family_name of 1 to 200 characters and a year 1850 to 2100
    .locator-none = give person_id, or family_name and birth_year
    .detail = { $detail }
CONFLICT = the request conflicts with another
    .user-exists = user { $name } already exists (names compare ignoring case and surrounding spaces)
    .register-exists = a register already exists at { $place }: nothing was changed
    .key-in-flight = a request with this key is being answered
    .key-reused = this key was used for another request (method, path or body differ)
PRECONDITION_FAILED = the case changed since the version named in If-Match
    .detail = { $detail }
INTERNAL = internal error (logged)
    .framework = internal error
TIMEOUT = the request took too long
    .deadline = the request was not answered within { $ms } ms; a write it asked for may still complete: look before retrying, or retry with the same Idempotency-Key
RATE_LIMITED = too many attempts from this address; retry in { $seconds } s
    .framework = too many requests; retry later
HEADERS_TOO_LARGE = the request headers are too large
    .count = at most { $max } headers of { $bytes } bytes in all
    .size = the request line and headers have { $size } bytes; at most { $max } are accepted
PAYLOAD_TOO_LARGE = the request body is too large
    .limit = the request body is larger than { $max } bytes (the max_body_bytes setting)
METHOD_NOT_ALLOWED = the resource does not allow this method (see Allow)
UNSUPPORTED_MEDIA_TYPE = the body must be application/json

# Refusals: the code, then its facts.
msg-refusal = { $code }: { $facts }
msg-case-step-refused = case { $case }: { $step } refused: { $reason }
msg-person-propose-refused = person { $person }: propose refused: { $reason }
msg-place-cell = cell { $cell }
msg-phrase-receiving-approval = the receiving approval
msg-phrase-sending-approval = the sending approval
msg-phrase-first-override-approval = the first override approval
msg-phrase-review-resolution = the review resolution
msg-phrase-hold-lifting = the lifting of the hold
msg-phrase-override-reason = the override's written reason
msg-phrase-reason = the reason
msg-phrase-hold-reference = the hold's reference
msg-phrase-hold-authority = the hold's authority
msg-phrase-lifting-reference = the lifting decision's reference
msg-phrase-challenge-reasons = the decision's written reasons
msg-phrase-finding-evidence = each finding's evidence
INVALID_TRANSITION = case is { $state }; { $step } needs { $needs }
ON_HOLD = a legal hold stands ({ $holds }); { $step } waits until it is lifted
CHALLENGE_PENDING = the person's challenge ({ $challenges }) is not decided; { $step } waits until two legal officers decide it
NOT_APPROVED = admission needs both states' approvals; missing: { $missing }
SAME_APPROVER = { $user } already gave { $gave }; the second needs a different user
    .override = an override needs two people: the approval must be another user's
NOT_ELIGIBLE = { $rules } (screened on { $on })
NEEDS_REVIEW = { $rules } (screened on { $on }); a confirmed review must resolve every unknown rule
NOT_UNKNOWN = { $rule } is not unknown in the case's screening; a review resolves unknowns only
INCOMPLETE_REVIEW = no finding for { $rules }; a review states a finding for every unknown rule
NO_LEGAL_BASIS = on { $day }: { $why }
    .refusal = { $why }
AGREEMENT_ENDED = the agreement ended on { $ends }; the step's day is { $on }
NO_COMMITMENT_ORDER = admission needs a commitment-order reference
NO_INTAKE_RECORD = the intake record lacks { $missing }
CAPACITY_FLOOR = { $place } holds { $current } of floor { $floor }
CONTRACTED_PLACES = { $current } held in { $facility } for { $places } contracted places
NEEDS_OVERRIDE = { $place } holds { $current } of standard { $standard } (floor { $floor }); one more needs an override by two different users with a reason
UNKNOWN_HOLD = no standing hold has the reference { $reference }
NO_REASON = { $what } must not be empty
WRONG_DESTINATION = the removal order sends the person to { $record }, not { $asked }
    .no-record = no final removal order with a destination is on record (asked: { $asked })
NOT_IMPORTED_UNDER_AGREEMENT = person { $person } was not imported under agreement { $agreement }: import their record under it first
APPROVAL_USED = override approval { $id } is already used
ALREADY_CONFIRMED = { $what ->
        [user-change] user change
       *[cell-change] cell change
    } { $id } was confirmed by { $by }
    .detail = { $detail }
TWO_PERSON_RULE = { $what ->
        [user-change] user change { $id } was proposed by { $by }: another admin confirms it
        [enable] enabling user { $id } was proposed by { $by }: another admin confirms it
        [draft] two-person rule: { $by } prepared draft { $id }; another user must issue it
       *[cell-change] cell change { $id } was proposed by { $by }: another user confirms it
    }
    .detail = { $detail }
CELL_OCCUPIED = cell change { $id } removes cells people are held in: { $cells }; move them first
STALE = { $detail }
ALREADY_DISABLED = user { $name } is already disabled
NOT_DISABLED = user { $name } is not disabled
LAST_ADMIN = user { $name } is the last enabled admin: appoint another admin first
USER_DISABLED = user { $name } is disabled: no token is issued
EMPTY_JOURNAL = the journal has no events yet
FORECAST_TOO_LARGE = { $arrivals } arrivals (runs × months × intake) is more than the { $max } one request may ask for: ask for fewer runs or months, or run `custodia forecast`
NOBODY_ELIGIBLE = nobody is eligible to arrive: no person screened eligible on the first day of the forecast
REFUSED = { $detail }
    .issued = { $number } (draft { $id }) is already issued
NOT_ISSUED = invoice { $id } ({ $number }) is a draft: only issued documents are exported
NOT_PENDING = the notification of { $recipient } { $why ->
        [sent] was already recorded as sent
       *[not-required] is not required for this incident
    }
RECOMMENDATION_STATE = a recommendation cannot go from { $from } to { $to }
NO_INVESTIGATION = incident { $id } is a { $kind } and has no investigation (only a torture allegation opens one)
INVESTIGATION_STATE = an investigation cannot go from { $from } to { $to } (open → investigating → closed)
    .detail = { $detail }
FINDING_REQUIRED = closing an investigation needs a finding: substantiated, unsubstantiated or inconclusive
FINDING_NOT_CLOSING = only closing an investigation records a finding

SINGLE_ADMIN = the register has a single admin, whose user changes take effect without a second admin's confirmation: add a second admin
INPUT = { $detail }

# Alerts: the code, with the alert's facts.
RETURN_NOT_SCHEDULED = return is due by { $by } and not scheduled
RETURN_OVERDUE = return was due by { $by }
HELD_BEYOND_RELEASE = projected release was { $release }
HOLD_IN_TRANSIT = a legal hold stands while the person is in transit
CONTRACTED_PLACES_EXCEEDED = { $count } in custody for { $places } contracted places
STANDARD_CAPACITY_EXCEEDED = { $count } held against a standard capacity of { $standard }
NOTIFICATION_OVERDUE = { $recipient } not notified; overdue by { $late }
INELIGIBLE_IN_CUSTODY = the current record fails { $rules } (screened as of { $on })
COURT_RETURN_OVERDUE = court order { $reference } ({ $authority }) orders a return; none scheduled by { $due }
AGREEMENT_ENDING = the agreement ends on { $ends } and no return is scheduled
HELD_AFTER_AGREEMENT_END = the agreement ended on { $ends }
STUCK_IN_TRANSIT = in transit for { $hours } hours (limit { $limit } hours)
CELL_ABOVE_STANDARD = { $count } held against a standard capacity of { $standard }: { $share ->
        [none] { $area } m², nobody held
        [rounded] { $area } m² for { $count }: { $each } m² per person (rounded down)
       *[exact] { $area } m² for { $count }: { $each } m² per person
    }
OVERRIDE_EXPIRED = above its standard capacity of { $standard } since the override of { $day }, more than { $max } days
CELL_ABOVE_FLOOR = { $count } held against a floor capacity of { $floor }: { $share ->
        [none] { $area } m², nobody held
        [rounded] { $area } m² for { $count }: { $each } m² per person (rounded down)
       *[exact] { $area } m² for { $count }: { $each } m² per person
    }
INVESTIGATION_OVERDUE = investigation { $state } { $days } days after the allegation (to be closed within { $limit })
COMPLAINT_UNANSWERED = a { $category } complaint is unanswered { $days } days past its deadline
WITNESS_COSIGNATURE_OVERDUE = witness { $witness } has cosigned only the first { $size } events; later ones wait { $hours } hours
ALREADY_ANSWERED = the complaint was answered before; an answer is never replaced
ALREADY_ESCALATED = the complaint was escalated before
UNKNOWN_BODY = not an inspecting body the agreement names (`inspection_bodies`)
MEDICAL_EXAM_OVERDUE = admitted { $hours } hours ago and not examined by a doctor (due within 24 hours of admission)
VISITS_BELOW_MINIMUM = { $held } family visits or calls held in { $month }, below the agreement's minimum of { $minimum }
CONSULAR_ACCESS_OVERDUE = { $held } consular visits held in the last 91 days, below the agreement's minimum of { $minimum } (last: { $last })
PROLONGED_SOLITARY = in solitary confinement for { $days } consecutive days: more than 15 is prolonged solitary confinement (Mandela Rule 44)
SOLITARY_REVIEW_OVERDUE = in solitary confinement with no medical review for { $hours } hours (one is due every day)
NOT_IN_CUSTODY = the person is not held in a facility under this case
COUNSEL_NOT_REFUSABLE = a visit by counsel is never refused for lack of capacity
INJURIES_UNDOCUMENTED = the intake recorded visible injuries: the admission examination must document them (`injuries`)
UNFIT_FOR_SOLITARY = the latest medical examination found the person unfit for solitary confinement
ALREADY_IN_SOLITARY = the person is in solitary confinement already
ALREADY_ENDED = the placement ended before
END_BEFORE_START = the end is before the placement's start

# The eligibility rules (docs/rules.md): the same texts as `custodia screen --explain` prints.
E01 = The conviction must be final: no appeal pending.
E02 = The person must have reached the agreement's minimum age on the screening date.
E03 = The sentence imposed must be at least the agreement's minimum length.
E04 = At least the agreement's minimum number of days must remain before projected release.
E05 = The sentence must not already be served: projected release must be after the screening date.
E06 = Life sentences are excluded by the agreement.
E07 = A state may not banish its own citizens: nationals of the sending state are excluded or need consent.
E08 = Nationals of the receiving state are excluded by the agreement.
E09 = At least one nationality must be among those the agreement allows.
E10 = The person must consent to the transfer (where the agreement allows, a final removal order replaces consent).
E11 = A final removal (expulsion) order is required.
E12 = The offence category is excluded by the agreement.
E13 = The security class must be one the agreement allows.
E14 = People with care needs the facility cannot meet are excluded.
E15 = A current assessment must find no risk of torture in the receiving state (non-refoulement).

# The command line.
msg-cli-nothing-changed = { $message }; nothing was changed
msg-cli-no-alerts = no open alerts for { $agreement } on { $on }

## The public locator's page (locator-)

locator-title = Find a person held under an agreement
locator-skip = Skip to the search
locator-languages = Language
locator-intro = Anyone may ask where a person held under a custody agreement is. The answer says only the status, the facility, the country and since when; nothing else about the person.
locator-by-id = By identifier
locator-person-id = Identifier given by the sending state
locator-person-id-hint = For example the register number on the court papers.
locator-or = or
locator-by-name = By family name and year of birth
locator-family-name = Family name
locator-family-name-hint = One of the family names is enough; accents and capital letters do not matter.
locator-birth-year = Year of birth
locator-birth-year-hint = Four digits, for example 1990.
locator-search = Search
locator-results = Results
locator-found = { $count ->
    [one] One person found
   *[other] { $count } people found
}
locator-none = No one was found. Check the spelling and the year, or ask with the identifier.
locator-col-status = Status
locator-col-facility = Facility
locator-col-country = Country
locator-col-since = Since
locator-status-in_transit = In transit
locator-status-in_custody = In custody
locator-status-return_scheduled = Return scheduled
locator-status-returned = Returned
locator-status-released = Released
locator-status-deceased = Deceased
locator-no-facility = Not in a facility
locator-contact = Whom to call
locator-error = The search could not be made
locator-error-person_id = Give the identifier alone (1 to 256 characters), without a family name or year.
locator-error-family_name = Give a family name of 1 to 200 characters.
locator-error-birth_year = Give the family name together with a year of birth from 1850 to 2100.
locator-error-query = The search was not understood; fill in the form again.
locator-rate-limited = Too many searches from this address. Try again in { $seconds } seconds.
locator-unavailable = The locator cannot answer just now. Try again later.
locator-footer = Only agreements that publish their locator are searched. Searches are limited per address.

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
web-own-language = Your language
web-own-language-label = Language of the pages, wherever you sign in
web-own-language-browser = As my browser asks
web-own-language-save = Save
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
web-role-medical_officer = medical officer
web-overview-term = In force from { $starts } to { $ends }. Today: { $today }.
web-overview-population = Population over time
web-overview-chart-title = People in custody against contracted places and capacities
web-overview-chart-desc = A line of the people in custody on the first day of each month and today ({ $in_custody } now), against flat lines for contracted places, standard capacity ({ $standard }), floor capacity and the capacity the receiving state states ({ $stated }).
web-overview-chart-caption = Solid line with dots: people in custody. Long dashes: contracted places. Dots: standard capacity. Dash-dot: floor capacity. Thin solid line: stated capacity. The same numbers are in the table below.
web-overview-table-caption = People in custody by day, with the levels they are measured against
web-overview-day = Day
web-overview-in-custody = In custody
web-overview-contracted = Contracted places
web-overview-standard = Standard capacity
web-overview-floor = Floor capacity
web-overview-stated = Stated capacity
web-overview-alerts = Open alerts
web-overview-alerts-by-severity = Open alerts by severity
web-overview-alerts-by-code = Open alerts by code
web-overview-alert-code = Code
web-overview-alert-severity = Severity
web-overview-alert-count = Open
web-severity-critical = Critical
web-severity-warning = Warning
web-overview-returns = Returns due
web-overview-returns-scheduled = Returns scheduled
web-overview-returns-alerted = Returns not scheduled in time or overdue (alerts)
web-overview-revenue = Revenue
web-overview-revenue-to-date = Invoiced to date (issued invoices less credit notes): { $amount }
web-waiting-intro = Two-person steps someone else started that your role may complete. Completing one goes through the same rules as the API: the register refuses it if it may not be done.
web-waiting-none = Nothing is waiting for you.
web-waiting-caption = Steps waiting for you
web-waiting-what = Step
web-waiting-agreement = Agreement
web-waiting-record = Record
web-waiting-started-by = Started by
web-waiting-action = Complete
web-waiting-open-case = Open the case
web-waiting-issue = Issue the invoice
web-waiting-confirm = Confirm
web-step-case_approval = Approval of a screened case by your state
web-step-review_to_confirm = A review resolution to confirm
web-step-hold_lift = The lifting of a hold to confirm
web-step-invoice_to_issue = An invoice to issue
web-step-cell_change = A cell change to confirm
web-step-user_change = A user change to confirm
web-step-user_enable = Enabling a user, to confirm
web-step-override_to_use = A capacity override approved for you to use in a placement
web-step-amendment_to_approve = An agreement amendment, to approve
web-waiting-approve = Approve
web-cases-agreement = Agreement
web-cases-state = State
web-cases-any-state = any state
web-cases-filter = Show
web-cases-propose = Propose a case
web-cases-propose-person = Person (sending state’s id)
web-cases-caption = Cases ({ $count } shown)
web-cases-case = Case
web-cases-person = Person (sending state's id)
web-cases-facility = Facility
web-cases-more = More cases match: narrow the filter.
web-case-title = Case { $id }
web-case-summary = Person { $person } under agreement { $agreement }; state: { $state }.
web-case-timeline = Timeline
web-case-day = Day
web-case-action = Step
web-case-from-to = From → to
web-case-reason = Reason
web-case-by = By
web-case-not-screened = Not screened yet.
web-case-decision = Decision
web-case-screened-on = Screened on { $day }:
web-case-rule-outcomes = Outcome of each rule
web-case-rule = Rule
web-case-outcome = Outcome
web-case-review = Review resolved by { $reviewer }; confirmed by { $confirmed }.
web-outcome-pass = passes
web-outcome-fail = fails
web-outcome-unknown = unknown (data missing)
web-outcome-upheld = upheld
web-outcome-dismissed = dismissed
web-case-approvals = Approvals
web-case-sending-approval = Sending state
web-case-receiving-approval = Receiving state
web-case-holds = Legal holds
web-case-no-holds = No legal hold.
web-case-hold-reference = Order
web-case-hold-authority = Court or authority
web-case-hold-order = Effect
web-case-hold-placed = Recorded by, on
web-case-hold-lifting = Lifting decision · asked by · confirmed by
web-hold-order-stop = stop any transfer
web-hold-order-return = return the person
web-hold-order-challenge = the person's challenge (until decided)
web-case-actions = What you may do
web-case-no-actions = Your role may take no action on this case in its state.
web-action-screen = Screen
web-action-approve = Approve for your state
web-action-schedule = Schedule the transfer
web-action-depart = Record the departure
web-action-admit = Admit
web-action-move = Move to another cell
web-action-schedule_return = Schedule the return
web-action-return = Record the return
web-action-turn_back = Turn the transfer back
web-action-release = Release
web-action-remove = Remove
web-action-record_death = Record a death
web-action-withdraw = Withdraw the case
web-action-refuse = Refuse the case
web-action-resolve_review = Resolve the review
web-action-confirm_review = Confirm the review
web-action-place_hold = Place a legal hold
web-action-lift_hold = Ask to lift this hold
web-action-confirm_lift = Confirm the lifting of this hold
web-action-decide_challenge = Decide this challenge
web-field-reason = Reason code (for example APPROVED, FLIGHT_LEFT)
web-field-finding = finding
web-field-evidence = evidence
web-field-admission-commitment_order = Commitment order
web-field-admission-receiving_id = Receiving state's number (optional)
web-field-admission-admitted_on = Admission date
web-field-admission-hour = Hour of admission (0–23)
web-field-admission-visible_injuries = Visible injuries ("none" is an answer)
web-field-admission-property = Property taken into safekeeping
web-field-admission-next_of_kin = Next of kin
web-field-placement-facility_id = Facility
web-field-placement-cell_id = Cell
web-field-placement-override_by = Override approval number (above standard capacity only)
web-field-return_on = Return date
web-field-to = Country (ISO code, for example VE)
web-field-report = Report
web-field-authority = Court or authority
web-field-reference = Order reference
web-field-order = Effect of the order
web-field-decision_reference = Reference of the lifting decision
web-field-outcome = Decision
web-field-reasons = Written reasons
web-overview-facilities = Facilities
web-facility-title = Cells of { $facility }
web-facility-grid-title = Cells by occupants against standard capacity
web-facility-grid-desc = One square per cell, marked with its occupants over its standard capacity. Thin solid border: within the standard. Dashed thick border: above the standard, within the floor. Thickest border: above the floor. The numbers are in each square's tooltip and in the table below.
web-facility-grid-caption = Each square: occupants / standard capacity. Border: thin = within the standard, dashed = above the standard, thick = above the floor.
web-facility-cell-tooltip = Cell { $cell }: { $area } m², { $occupants } held, standard capacity { $standard }, floor capacity { $floor }, { $space } m² per person
web-facility-table-caption = Cells with their space per person
web-facility-cell = Cell
web-facility-area = Area (m²)
web-facility-occupants = Held
web-facility-space = m² per person
web-facility-band = Against the standard
web-band-within-standard = within the standard
web-band-above-standard = above the standard
web-band-above-floor = above the floor

## Invoices, sustainability, incidents and inspections pages (web-invoices-…, web-invoice-…, web-sustainability-…, web-incidents-…, web-incident-…, web-inspections-…)
web-oversight-back-to-agreement = Back to the agreement
web-overview-oversight-nav = Billing and oversight
web-overview-link-invoices = Invoices
web-overview-link-sustainability = Sustainability report
web-overview-link-incidents = Incidents and notifications
web-overview-link-inspections = Inspections and recommendations
web-moment-utc = { $day }, { $time } UTC
web-invoices-title = Invoices of { $agreement }
web-invoices-caption = Invoices and credit notes, in the order they were drafted
web-invoices-none = No invoice has been drafted for this agreement yet.
web-invoices-number = Number
web-invoices-kind = Document
web-invoices-period = Period
web-invoices-status = Status
web-invoices-total = Total
web-invoice-kind-invoice = Invoice
web-invoice-kind-credit_note = Credit note
web-invoice-status-draft = Draft
web-invoice-status-issued = Issued
web-invoices-draft-title = Draft a document
web-invoices-draft-period = Billing period (year and month, for example 2025-03)
web-invoices-draft-submit = Draft the invoice
web-invoices-credit-note-intro = Once the agreement has ended and every period is issued, the credit note settles it.
web-invoices-credit-note-submit = Draft the credit note
web-invoices-two-person = A draft is issued by another finance officer than the one who drafted it (the two-person rule).
web-invoice-title = { $kind } { $number }
web-invoice-back-to-list = All invoices of the agreement
web-invoice-summary = The document
web-invoice-agreement = Agreement
web-invoice-prepared-by = Drafted by
web-invoice-issued-by = Issued by
web-invoice-issued-at = Issued on
web-invoice-person-days = Person-days billed
web-invoice-sha256 = SHA-256 of the stored document
web-invoice-lines = Lines
web-invoice-code = Code
web-invoice-description = Description
web-invoice-refers-to = Corrects period
web-invoice-quantity = Quantity
web-invoice-unit-price = Unit price
web-invoice-amount = Amount
web-invoice-warnings = Warnings
web-invoice-actions = What you can do
web-invoice-issue = Issue this draft
web-invoice-verify-intro = Check the stored document against its hash and its journal events (nothing is changed).
web-invoice-verify = Verify
web-invoice-verification = Verification
web-invoice-verified-ok = Verified: the document matches its hash and its journal events.
web-invoice-verified-events = Journal events checked: { $events }.
web-invoice-verified-problems = { $count ->
    [one] One difference was found:
   *[other] { $count } differences were found:
}
web-invoice-export = Export
web-invoice-export-csv = Download as CSV (one row per line)
web-invoice-export-canonical = Download the canonical JSON (its SHA-256 is the document's hash)
web-invoice-export-draft = A draft is not exported: only issued documents are.
web-sustainability-title = Sustainability of { $agreement }
web-sustainability-intro = Invoiced revenue (issued documents only) against the sending state's cost of holding the same person-days at home and the receiving state's prison budget.
web-sustainability-budget = Receiving state's annual prison budget (minor units, optional)
web-sustainability-home-cost = Cost of one person-day at home (minor units; required unless the agreement is billed in USD by the United States)
web-sustainability-show = Show the report
web-sustainability-figures = The figures used
web-sustainability-currency = Currency
web-sustainability-home-cost-used = Cost of one person-day at home
web-sustainability-budget-used = Receiving state's annual prison budget
web-sustainability-no-budget = not given
web-sustainability-by-month = By month
web-sustainability-by-year = By agreement year
web-sustainability-chart-title = Invoiced per month, in whole { $currency }
web-sustainability-chart-desc = A line of the amount invoiced (issued documents) for each of the { $months } months of the term; { $total } in all. A month not invoiced yet reads zero.
web-sustainability-chart-caption = Solid line with dots: the amount invoiced per month, in whole units of the currency. The exact amounts are in the table below.
web-sustainability-months-caption = The report per month
web-sustainability-years-caption = The report per agreement year
web-sustainability-period = Period
web-sustainability-days = Days covered
web-sustainability-documents = Issued documents
web-sustainability-person-days = Person-days
web-sustainability-invoiced = Invoiced (cash)
web-sustainability-home-cost-total = Cost at home
web-sustainability-saving = Sending state's saving (cash)
web-sustainability-budget-share = Share of the prison budget (cash)
web-sustainability-accrued = Accrued (accrual)
web-sustainability-saving-accrual = Sending state's saving (accrual)
web-sustainability-budget-share-accrual = Share of the prison budget (accrual)
web-sustainability-departures = Departures
web-sustainability-returns = Returns
web-sustainability-transport = Transport
web-sustainability-not-priced = not priced
web-sustainability-views = Two views of the same issued documents. Cash: each document counts in the month it was issued for — what was invoiced when. Accrual: each charge is spread over the days it covers (a per-capita fee over its coverage period, a correction in the month it corrects) — what each month cost. Over the whole term both add up to the same amount.
web-sustainability-transport-priced = Journeys — each departure to the receiving state and each return, from the custody records — are priced by the agreement's extras tariff, and their cost is taken off the sending state's saving in both views.
web-sustainability-transport-unpriced = Journeys — each departure to the receiving state and each return, from the custody records — are counted but not priced: the agreement has no extras tariff, so the savings leave transport out.
web-sustainability-double-count = Issued invoices for { $months } carry transport extras typed in by hand (EXTRA:TRANSPORT…) while the extras tariff also prices the journeys of the custody records: that transport may be counted twice.
web-sustainability-outside-term = { $count } journeys fall outside the agreement's term and are not counted.
web-sustainability-accrual-chart-title = Accrued per month, in whole { $currency }
web-sustainability-accrual-chart-desc = A line of the amount accrued (issued charges spread over the days they cover) for each of the { $months } months of the term; { $total } in all.
web-sustainability-accrual-chart-caption = Solid line with dots: the amount accrued per month, in whole units of the currency. The exact amounts are in the table below.
web-incidents-title = Incidents of { $agreement }
web-incidents-as-of = Where the notifications stand now, { $now }.
web-incidents-none = No incident has been filed for this agreement.
web-incidents-caption = Incidents, in the order they were filed
web-incidents-incident = Incident
web-incidents-kind = Kind
web-incidents-occurred = Occurred
web-incidents-case = Case
web-incidents-notifications = Notifications owed
web-incidents-investigation = Investigation
web-incidents-notifications-title = Mandatory notifications
web-incidents-notifications-caption = Every notification owed, with its deadline and whether it was sent on time
web-incidents-no-notifications = No notification is owed.
web-incidents-recipient = To
web-incidents-deadline = Deadline
web-incidents-sent = Sent
web-incidents-status = Status
web-incidents-late-by = (late by { $late })
web-incident-kind-death = Death
web-incident-kind-serious_injury = Serious injury
web-incident-kind-disappearance = Disappearance
web-incident-kind-use_of_force = Use of force
web-incident-kind-torture_allegation = Torture allegation
web-incident-kind-hunger_strike = Hunger strike
web-incident-kind-other = Other
web-recipient-next_of_kin = Next of kin
web-recipient-sending_state = Sending state
web-recipient-independent_authority = Independent authority
web-notification-pending = pending, not yet due
web-notification-overdue = overdue, not sent
web-notification-sent_on_time = sent on time
web-notification-sent_late = sent late
web-investigation-open = open
web-investigation-investigating = under way
web-investigation-closed = closed
web-incident-title = Incident { $id }: { $kind }
web-incident-back-to-list = All incidents of the agreement
web-incident-summary = The incident
web-incident-report = Report
web-incident-addendum-by = Addendum by { $author }
web-incident-investigation-state = The investigation is { $state }; it is due to close by { $due }.
web-incident-record = Record
web-incident-sent-at = Sent at (UTC)
web-incident-record-sent = Record as sent
web-incident-investigation-overdue = The investigation is overdue.
web-inspections-title = Inspections of { $agreement }
web-inspections-none = No inspection has been filed for this agreement.
web-inspections-visit = { $body }, { $from } to { $to }
web-inspections-findings = Findings
web-inspections-no-findings = No findings were recorded.
web-inspections-recommendations = Recommendations
web-inspections-no-recommendations = No recommendations were made.
web-inspections-recommendations-caption = Recommendations and where each stands
web-inspections-number = No.
web-inspections-recommendation = Recommendation
web-inspections-state = Status
web-inspections-action = Change
web-inspections-move-to = New status
web-inspections-move = Record
web-inspections-final = final
web-recommendation-open = open
web-recommendation-accepted = accepted
web-recommendation-implemented = implemented
web-recommendation-rejected = rejected

## Person file and journal pages (web-person-…, web-journal-…)

web-nav-journal = Journal
web-case-person-file = The file of person { $person }
web-person-title = { $name } ({ $id })
web-person-unknown = unknown
web-person-identity = Identity
web-person-sending-id = Sending state's id
web-person-family-name = Family name
web-person-given-names = Given names
web-person-birth-date = Date of birth
web-person-nationalities = Nationalities
web-person-sending-state = Sending state
web-person-security-class = Security class
web-person-care-needs = Care needs
web-person-version = Version of the record
web-person-aliases = Also known as
web-person-identifiers = Identifiers
web-person-identifiers-caption = Identifiers in the registers of each state you may see
web-person-identifier-state = State
web-person-identifier-scheme = Scheme
web-person-identifier-value = Identifier
web-person-legal-basis = Legal basis today
web-person-on-record = A final conviction or a final removal order is on record.
web-person-not-on-record = Neither a final conviction nor a final removal order is on record.
web-person-legal-basis-caption = The legal basis for holding the person today, computed from the current record as the alerts compute it
web-person-case = Case
web-person-agreement = Agreement
web-person-day = Day
web-person-basis = Basis
web-person-custodian = Legal custodian
web-person-return-by = Back in the sending state by
web-person-basis-conviction = Final conviction, until the projected release on { $release }.
web-person-basis-life = Final conviction to a life sentence.
web-person-basis-removal = Final removal order to { $destination }, until { $until }.
web-person-sentence = Sentence arithmetic
web-person-sentence-record = Conviction: { $conviction }; sentence start: { $start }; term: { $term }; jail credit: { $credit } days.
web-person-sentence-caption = Release date step by step (profile { $profile })
web-person-step = Step
web-person-operation = Operation
web-person-result = Result
web-person-step-start = Sentence start
web-person-step-full-term = Full term
web-person-op-term = + term { $term }, the start being day 1
web-person-step-credit = Less jail credit
web-person-days = { $days ->
    [one] { $days } day
   *[other] { $days } days
}
web-person-step-gct = Statutory release
web-person-op-gct = − { $days } days of good conduct time ({ $rate } days a year)
web-person-step-weekday = Projected release
web-person-op-weekday = = the last weekday that is no federal holiday, never before the start
web-person-step-two-thirds = Two thirds of the term
web-person-op-two-thirds = = start + two thirds of the term, less the credit
web-person-step-not-before-start = Projected release
web-person-op-not-before-start = = never before the start
web-person-already-due = The release was due at commencement: the projected release is the start.
web-person-release = Projected release under { $agreement }: { $release }.
web-person-life = A life sentence: no release date.
web-person-no-sentence = The sentence's start or term is unknown: no release date can be computed.
web-person-history = Custody history
web-person-no-cases = No case of this person is in your scope.
web-person-case-summary = Agreement { $agreement }; state: { $state }; facility: { $facility }; cell: { $cell }.
web-person-case-steps = Steps of case { $case }
web-person-state = State before → after
web-person-intake-caption = Intake record of case { $case }
web-person-no-intake = Not admitted: no intake record.
web-person-incidents = Incidents
web-person-no-incidents = No incident is recorded for this person's cases.
web-person-incident = Incident
web-person-incident-kind = Kind
web-person-occurred = Occurred
web-person-report = Report
web-person-contacts = Contacts
web-person-no-contacts = No contact is logged for this person's cases.
web-person-contact-at = When
web-person-contact-who = Who
web-person-contact-means = Means
web-person-contact-note = Note
web-person-family-contact = How the family may ask
web-person-no-family-contact = The agreement gives no contact for families.
web-person-proof = Proof in the journal
web-person-proof-intro = Event { $index } of the journal carries this person's current record. Its inclusion proof against the latest checkpoint:
web-person-proof-checkpoint-link = the journal's latest checkpoint
web-person-proof-caption = Inclusion proof (RFC 9162)
web-person-proof-index = Event (leaf index, from 0)
web-person-proof-leaf = Leaf hash
web-person-proof-step = Audit path, step { $step }
web-person-proof-verified = The proof verifies: the event is in the signed tree.
web-person-proof-failed = The proof does not verify against the checkpoint.
web-journal-title = The journal's latest checkpoint
web-journal-intro = Every change to the register is an event in the journal, a Merkle tree whose head the register signs. Anyone holding this checkpoint can later prove that history was only appended to.
web-journal-checkpoint = Checkpoint
web-journal-origin = Origin
web-journal-tree-size = Tree size (events)
web-journal-root-hash = Root hash
web-journal-signed-at = Signed (on request) at
web-journal-last-event = Last event recorded at
web-journal-verifier-key = Verifier key
web-journal-signatures = Signatures
web-journal-key-name = Key name
web-journal-key-id = Key id
web-journal-signed-by = Signed by
web-journal-signature = Signature
web-journal-register-key = the register's key
web-journal-witness = a witness (cosignature)
web-journal-no-witnesses = No witness has cosigned this checkpoint: the register signs it alone.
web-journal-witnesses = { $count ->
    [one] One witness has cosigned this checkpoint.
   *[other] { $count } witnesses have cosigned this checkpoint.
}
web-journal-note = The signed note
web-journal-note-help = Exactly as the API serves it at /api/v1/journal/checkpoint.

# The inspector's report (docs/rights.md#report).
report-complaints-filed = complaints filed
report-complaints-answered-on-time = answered on time
report-complaints-answered-late = answered late
report-complaints-unanswered = unanswered
report-admissions = admissions
report-examined-on-time = examined within 24 hours of admission
report-person-months = whole months in custody (person-months)
report-person-months-at-minimum = person-months with the family contact minimum held
report-family-contacts-held = family visits and calls held
report-contacts-refused = visits and calls refused
report-consular-visits-held = consular visits held
report-solitary-placements = placements in solitary confinement
report-solitary-days = days in solitary confinement
report-prolonged-solitary = confinements of more than 15 consecutive days
report-allegations = allegations of torture or ill-treatment
report-investigations-closed = investigations closed
report-investigations-open = investigations open
report-chart-title = Complaints by category and their answers
forecast-chart-title = People in custody per month (peak of the month)
forecast-chart-desc = The 5th to 95th percentile of the runs as a band and the median as a line, for each of the { $months } months, against the limits that are known; the median peaks at { $peak }. The exact figures are in the table.
forecast-chart-band = 5th to 95th percentile of the runs; the median as a line
forecast-limit-contracted_places = contracted places
forecast-limit-standard_capacity = standard capacity
forecast-limit-floor_capacity = floor capacity
forecast-limit-fee_envelope = fee envelope
complaint-category-conditions = conditions
complaint-category-treatment = treatment
complaint-category-health = health
complaint-category-legal = legal
complaint-category-family = family
complaint-category-property = property
complaint-category-other = other

# The detainee's side page (web-rights-…, docs/rights.md).
web-overview-link-rights = The detainee's side: complaints, care, the inspector's report
web-overview-link-forecast = Forecast: population, returns, money and limits
web-forecast-title = Forecast of { $agreement }
web-forecast-intro = A Monte Carlo projection from the register: each month's arrivals drawn from the people imported under the agreement who are eligible on the first day, each held until their return is due, with the people in custody that day as the start. Percentiles by nearest rank; the same seed gives the same forecast.
web-forecast-intake = Arrivals a month
web-forecast-months = Horizon, in months (1 to 240)
web-forecast-runs = Runs
web-forecast-seed = Seed
web-forecast-from = First day of arrivals (default: today)
web-forecast-show = Show the forecast
web-forecast-summary = { $eligible } eligible people to draw from, { $held } in custody on { $from }; { $runs } runs, seed { $seed }.
web-forecast-limits-caption = When each limit is first exceeded by at least 5 % of runs
web-forecast-limit = Limit
web-forecast-limit-value = Value
web-forecast-first-month = First month
web-forecast-not-known = not known
web-forecast-not-reached = not within the horizon
web-forecast-reached = { $month } ({ $runs } of { $total } runs)
web-forecast-chart-caption = The band: the 5th to 95th percentile of the people in custody (the month's peak) over the runs; the line: the median; dashed: the limits. The exact figures are in the table below.
web-forecast-months-caption = By month: 5th / 50th / 95th percentile
web-forecast-month = Month
web-forecast-population = In custody (peak)
web-forecast-returns = Returns due
web-forecast-person-days = Person-days
web-forecast-invoiced = Invoiced
web-forecast-home-cost = Cost at home
web-rights-title = The detainee's side under { $agreement }
web-rights-intro = Requests and complaints, medical examinations, visits and calls, solitary confinement, and the inspector's report. Findings of examinations are shown to medical officers only.
web-rights-report = The inspector's report
web-rights-facility = Facility
web-rights-from = From
web-rights-to = To
web-rights-show = Show
web-rights-chart-caption = Complaints made in the period by category: answered on time, late, or not at all.
web-rights-report-caption = Figures for the facility and the period
web-rights-complaints = Requests and complaints
web-rights-no-complaints = No complaint you may read.
web-rights-complaints-caption = Complaints you may read, by number
web-rights-id = No.
web-rights-case = Case
web-rights-category = Category
web-rights-made = Made
web-rights-state = State
web-rights-answered = answered
web-rights-answered-late = answered late
web-rights-unanswered = unanswered
web-rights-care = Examinations, visits and solitary confinement
web-rights-no-care = No record of care.
web-rights-care-caption = Records of care, by number
web-rights-kind = Kind
web-rights-when = When
web-rights-what = What
web-rights-examination = medical examination
web-rights-fitness = custody { $custody }, transfer { $transfer }, solitary confinement { $solitary }
web-rights-health-file-withheld = health file for medical staff only
web-rights-refused = refused
web-rights-held = held
web-rights-solitary = solitary confinement
web-rights-ongoing = ongoing
web-rights-action = Action
web-rights-end = End the placement
web-rights-record-visit = Record a visit or call
web-rights-record-examination = Record a medical examination
web-rights-file-complaint = Record a request or complaint
web-rights-place = Place in solitary confinement
web-rights-record = Record
web-rights-visitor = Visitor or caller
web-rights-outcome = Outcome
web-rights-ground = Ground of a refusal
web-rights-reason = Reason
web-rights-purpose = Purpose
web-rights-examiner = Examiner (name and qualification)
web-rights-fit-custody = Fit for custody
web-rights-fit-transfer = Fit for a transfer
web-rights-fit-solitary = Fit for solitary confinement
web-rights-findings = Findings (health file)
web-rights-injuries = Injuries documented (health file)
web-rights-words = The request or complaint, in the person's words
web-rights-confidential = Confidential: for the inspecting bodies and the sending state only, never the facility
web-rights-alleges = It alleges torture or ill-treatment (opens an allegation incident)
web-rights-answer = Answer a complaint
web-rights-answer-text = The answer
web-rights-complaint-no = Complaint number
web-rights-escalate = Escalate a complaint to an inspecting body
web-rights-body = Inspecting body
web-rights-escalate-button = Escalate
web-overview-link-subscriptions = Alert subscriptions and deliveries
web-subscriptions-title = Alert subscriptions of { $agreement }
web-subscriptions-intro = The server evaluates the agreement's alerts every minute and after every change to a case, and tells each subscription when an alert opens and when it is resolved.
web-subscriptions-heading = Subscriptions
web-subscriptions-none = Nobody is subscribed to this agreement's alerts.
web-subscriptions-caption = Subscriptions in force
web-subscriptions-channel = Channel
web-subscriptions-channel-webhook = Webhook
web-subscriptions-channel-email = E-mail
web-subscriptions-target = Address
web-subscriptions-severity = Least severity
web-subscriptions-severity-warning = Every alert
web-subscriptions-severity-critical = Critical alerts only
web-subscriptions-kinds = Kinds
web-subscriptions-every-kind = every kind
web-subscriptions-kinds-legend = Kinds of alert (none ticked: every kind)
web-subscriptions-created-by = Subscribed by
web-subscriptions-action = Action
web-subscriptions-remove = End this subscription
web-subscriptions-add-heading = Subscribe
web-subscriptions-url = Webhook URL (http:// or https://)
web-subscriptions-secret = Webhook signing secret (16 to 256 bytes)
web-subscriptions-email = E-mail address
web-subscriptions-add = Subscribe
web-deliveries-heading = Delivery log
web-deliveries-none = Nothing has been delivered yet.
web-deliveries-caption = Deliveries, newest first
web-deliveries-subscription = Subscription
web-deliveries-alert = Alert
web-deliveries-event = Event
web-deliveries-event-new = new
web-deliveries-event-resolved = resolved
web-deliveries-status = Status
web-deliveries-status-pending = pending
web-deliveries-status-delivered = delivered
web-deliveries-status-failed = failed
web-deliveries-attempts = Attempts
web-deliveries-detail = Delivered at, or last error
