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
