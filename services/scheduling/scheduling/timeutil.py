"""Studio time and UTC: what comes in is turned into UTC here, what goes out is shown in the
studio's time zone, with its offset of that moment (DST-correct, through ``zoneinfo``)."""

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from proofsheet_shared.errors import ValidationError

UTC = dt.timezone.utc


@lru_cache(maxsize=64)
def zone(name):
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def exists_locally(local, tz):
    """False for a wall-clock time skipped by a DST change (02:30 on a spring-forward night)."""
    aware = local.replace(tzinfo=tz)
    return aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == local


def localize(local, tz, field="starts_at"):
    """A naive wall-clock time in ``tz`` as an aware datetime. An ambiguous time (the hour
    repeated when clocks go back) is its first occurrence; a skipped one is refused."""
    if not exists_locally(local, tz):
        raise ValidationError(
            f"{local.isoformat()} does not exist in {tz.key} (the clocks move forward over it)",
            {field: "not a time in the studio's time zone"},
        )
    return local.replace(tzinfo=tz, fold=0)


def to_utc(value, tz, field="starts_at"):
    """An input timestamp (aware: that instant; naive: studio wall-clock time) in UTC."""
    if value.tzinfo is None:
        value = localize(value, tz, field)
    return value.astimezone(UTC)


def to_local_naive(value_utc, tz):
    return value_utc.astimezone(tz).replace(tzinfo=None)


def show(value, tz):
    """ISO 8601 in the studio's time zone, with its offset; None stays None."""
    if value is None:
        return None
    return value.astimezone(tz).isoformat()


def day_start(day, tz):
    """The first instant of ``day`` in ``tz`` (midnight may not exist: the first time that does)."""
    local = dt.datetime.combine(day, dt.time())
    while not exists_locally(local, tz):
        local += dt.timedelta(minutes=30)
    return local.replace(tzinfo=tz).astimezone(UTC)


def range_bounds(start, end, tz):
    """``from``/``to`` as given to the calendar (dates or timestamps) → a UTC half-open range.
    A date as ``to`` means the end of that day."""
    if isinstance(start, dt.datetime):
        lower = to_utc(start, tz, "from")
    else:
        lower = day_start(start, tz)
    if isinstance(end, dt.datetime):
        upper = to_utc(end, tz, "to")
    else:
        upper = day_start(end + dt.timedelta(days=1), tz)
    return lower, upper


def ical_local(value_utc, tz):
    """``YYYYMMDDTHHMMSS`` wall-clock time in ``tz`` (for DTSTART;TZID=...)."""
    return value_utc.astimezone(tz).strftime("%Y%m%dT%H%M%S")


def ical_utc(value_utc):
    return value_utc.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
