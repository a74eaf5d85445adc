"""Recurring sessions: an RRULE subset, expanded in the studio's time zone.

Supported: ``FREQ`` (WEEKLY or MONTHLY), ``INTERVAL``, ``COUNT`` or ``UNTIL`` (one of them,
required: a series ends), ``BYDAY`` (``TU``, ``MO,WE``; with MONTHLY an ordinal such as
``2TU`` or ``-1FR``). Anything else is refused with a message naming ``recurrence.rrule``.

The rule is expanded by ``dateutil.rrule`` over *wall-clock* times: the first session's
local start is the DTSTART, every occurrence is a local date and time, and each is put in
the zone on its own date. A weekly 10:00 session stays at 10:00 on both sides of a DST
change (its UTC time moves by the hour), and lasts as long as the first.
"""

import datetime as dt
import re

from dateutil import rrule as du

from proofsheet_shared.errors import ValidationError

from .timeutil import localize

FIELD = "recurrence.rrule"
MAX_OCCURRENCES = 366
MAX_INTERVAL = 52
FREQS = {"WEEKLY": du.WEEKLY, "MONTHLY": du.MONTHLY}
DAYS = {"MO": du.MO, "TU": du.TU, "WE": du.WE, "TH": du.TH, "FR": du.FR, "SA": du.SA, "SU": du.SU}
BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
UNTIL = re.compile(r"^(\d{8})(T(\d{6})(Z?))?$")


def _bad(message):
    return ValidationError(f"recurrence: {message}", {FIELD: message})


def parse(text):
    """The rule's parts as ``{"freq", "interval", "count", "until", "byday"}``; malformed: 400."""
    if not isinstance(text, str) or not text.strip():
        raise _bad("give an RRULE such as FREQ=WEEKLY;BYDAY=TU;COUNT=10")
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    parts = {}
    for chunk in body.split(";"):
        if not chunk:
            continue
        key, sep, value = chunk.partition("=")
        key, value = key.strip().upper(), value.strip().upper()
        if not sep or not key or not value:
            raise _bad(f"'{chunk}' is not NAME=VALUE")
        if key in parts:
            raise _bad(f"{key} is given twice")
        parts[key] = value
    unknown = sorted(set(parts) - {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY"})
    if unknown:
        raise _bad(f"{', '.join(unknown)} not supported (FREQ, INTERVAL, COUNT or UNTIL, BYDAY)")
    freq = parts.get("FREQ")
    if freq not in FREQS:
        raise _bad("FREQ must be WEEKLY or MONTHLY")
    rule = {"freq": freq, "interval": 1, "count": None, "until": None, "byday": []}
    if "INTERVAL" in parts:
        if not parts["INTERVAL"].isdigit() or not 1 <= int(parts["INTERVAL"]) <= MAX_INTERVAL:
            raise _bad(f"INTERVAL must be a whole number from 1 to {MAX_INTERVAL}")
        rule["interval"] = int(parts["INTERVAL"])
    if ("COUNT" in parts) == ("UNTIL" in parts):
        raise _bad("give exactly one of COUNT and UNTIL (a series must end)")
    if "COUNT" in parts:
        if not parts["COUNT"].isdigit() or not 1 <= int(parts["COUNT"]) <= MAX_OCCURRENCES:
            raise _bad(f"COUNT must be a whole number from 1 to {MAX_OCCURRENCES}")
        rule["count"] = int(parts["COUNT"])
    else:
        match = UNTIL.match(parts["UNTIL"])
        if not match:
            raise _bad("UNTIL must be a date (20261231) or a date and time (20261231T235959Z)")
        try:
            day = dt.datetime.strptime(match.group(1), "%Y%m%d")
            if match.group(3):
                day = dt.datetime.strptime(match.group(1) + match.group(3), "%Y%m%d%H%M%S")
        except ValueError:
            raise _bad(f"UNTIL {parts['UNTIL']} is not a real date") from None
        rule["until"] = (day, bool(match.group(2)), bool(match.group(4)))
    if "BYDAY" in parts:
        for day in parts["BYDAY"].split(","):
            match = BYDAY.match(day.strip())
            if not match:
                raise _bad(f"BYDAY '{day}' is not a day (MO, TU, ... or, monthly, 2TU, -1FR)")
            ordinal = match.group(1)
            if ordinal is not None:
                number = int(ordinal)
                if freq != "MONTHLY" or number == 0 or abs(number) > 5:
                    raise _bad(f"BYDAY '{day}': an ordinal (1 to 5, or -1 to -5) only with FREQ=MONTHLY")
                rule["byday"].append(DAYS[match.group(2)](number))
            else:
                rule["byday"].append(DAYS[match.group(2)])
    return rule


def normalise(text):
    """The rule as stored and shown: upper case, canonical order."""
    rule = parse(text)
    out = [f"FREQ={rule['freq']}"]
    if rule["interval"] != 1:
        out.append(f"INTERVAL={rule['interval']}")
    if rule["count"] is not None:
        out.append(f"COUNT={rule['count']}")
    if rule["byday"]:
        out.append("BYDAY=" + ",".join(str(d) for d in rule["byday"]))
    body = text.strip().upper()
    if body.startswith("RRULE:"):
        body = body[6:]
    for chunk in body.split(";"):
        if chunk.strip().startswith("UNTIL="):
            out.append(chunk.strip())
    return ";".join(out)


def occurrences(text, start_local, tz):
    """The local (naive) start of every occurrence, the first at or after ``start_local``."""
    rule = parse(text)
    until = None
    if rule["until"] is not None:
        value, has_time, is_utc = rule["until"]
        if not has_time:
            until = value.replace(hour=23, minute=59, second=59)
        elif is_utc:
            until = value.replace(tzinfo=dt.timezone.utc).astimezone(tz).replace(tzinfo=None)
        else:
            until = value
        if until < start_local:
            raise _bad("UNTIL is before the first session")
    kwargs = {"dtstart": start_local, "interval": rule["interval"], "cache": False}
    if rule["count"] is not None:
        kwargs["count"] = rule["count"]
    else:
        kwargs["until"] = until
    if rule["byday"]:
        kwargs["byweekday"] = rule["byday"]
    found = []
    for index, occurrence in enumerate(du.rrule(FREQS[rule["freq"]], **kwargs)):
        if index >= MAX_OCCURRENCES:
            raise _bad(f"the series would have more than {MAX_OCCURRENCES} sessions")
        found.append(occurrence)
    if not found:
        raise _bad("the rule gives no session")
    return found


def expand(text, start_local, duration, tz):
    """``[(starts_at, ends_at)]`` aware in ``tz``, one per occurrence: each starts at the same
    wall-clock time on its own date and lasts ``duration``. An occurrence whose local time
    does not exist that day (a DST gap) is refused."""
    spans = []
    for index, local in enumerate(occurrences(text, start_local, tz)):
        starts = localize(local, tz, "starts_at" if index == 0 else FIELD)
        spans.append((starts, starts + duration))
    return spans
