"""RFC 3339 in and out, epoch milliseconds, and the interval grid. Where windows start and end (the 14 days, the last
finished interval) is the manifest cursor's to say; components that need it render its expressions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

CURSOR_FIELD = "intervalStart"
RFC3339 = "%Y-%m-%dT%H:%M:%SZ"


def parse(value: str) -> dt.datetime:
    """An RFC 3339 date-time (`Z` or an offset, fractional seconds allowed; none means UTC); ValueError if it is not."""
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def rfc3339(moment: dt.datetime) -> str:
    """UTC with a `Z` and whole seconds: the form the cursor compares as text."""
    return moment.astimezone(dt.UTC).strftime(RFC3339)


def from_epoch(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def floor(moment: dt.datetime, interval_minutes: int) -> dt.datetime:
    """The start of the interval `moment` falls in."""
    seconds, step = int(moment.timestamp()), interval_minutes * 60
    return from_epoch(seconds - seconds % step)


def to_rfc3339(value: str) -> str:
    """An RFC 3339 date-time as UTC with a `Z` and whole seconds, the form the cursor compares as text."""
    if len(value) == 20 and value[-1] == "Z" and value[10] == "T":
        return value
    return rfc3339(parse(value))


def time_of(fields: Mapping[str, Any], name: str) -> str | None:
    """`fields[name]` (RFC 3339), else `fields[name + "L"]` (epoch ms), as RFC 3339; None if neither is usable.

    The text wins: the method page's own 202 example carries a millisecond value that contradicts it.
    """
    text, millis = fields.get(name), fields.get(f"{name}L")
    try:
        if isinstance(text, str) and text:
            return to_rfc3339(text)
        if isinstance(millis, str) and millis.isdigit():
            millis = int(millis)
        if isinstance(millis, int | float) and not isinstance(millis, bool):
            return rfc3339(from_epoch(millis / 1000))
    except (ValueError, OverflowError, OSError):
        pass
    return None


def one_second_before(moment: str) -> str:
    """The `to` of a window that ends at the boundary `moment`: never a boundary, so no reading of `to` takes in the
    interval that starts at `moment`."""
    return rfc3339(parse(moment) - dt.timedelta(seconds=1))
