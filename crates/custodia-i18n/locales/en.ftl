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
