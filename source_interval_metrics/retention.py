"""LivePerson keeps 14 days of intervals: say which ones a sync wanted but can no longer read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from isodate import parse_duration

RETENTION = dt.timedelta(days=14)
SAFETY_MARGIN = dt.timedelta(minutes=15)  # the manifest's windows start this much inside the limit
RFC3339 = "%Y-%m-%dT%H:%M:%SZ"


def _parse(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _floor(moment: dt.datetime, step: int) -> dt.datetime:
    seconds = int(moment.timestamp())
    return dt.datetime.fromtimestamp(seconds - seconds % step, dt.UTC)


def oldest_readable(now: dt.datetime, interval_minutes: int) -> dt.datetime:
    """The first interval boundary a request may still start at, as the manifest computes it."""
    step = interval_minutes * 60
    limit = int((now - RETENTION + SAFETY_MARGIN).timestamp())
    return dt.datetime.fromtimestamp(limit + (-limit % step), dt.UTC)


def wanted_start(config: Mapping[str, Any], saved: str | None) -> dt.datetime | None:
    """Where the sync would start without the API's limit: start_date, or the state minus the lookback window."""
    step = int(config["interval_duration"]) * 60
    candidates = []
    if config.get("start_date"):
        candidates.append(_floor(_parse(config["start_date"]), step))
    if saved:
        candidates.append(_floor(_parse(saved) - parse_duration(config["lookback_window"]), step))
    return max(candidates) if candidates else None


def unreadable_warning(stream: str, config: Mapping[str, Any], saved: str | None, now: dt.datetime) -> str | None:
    """A warning naming the range that is older than the API keeps, or None when nothing is lost."""
    try:
        wanted = wanted_start(config, saved)
    except ValueError:  # a state that is not a date: AlignStateToIntervalBoundary refuses it with a clear error
        return None
    oldest = oldest_readable(now, int(config["interval_duration"]))
    if wanted is None or wanted >= oldest:
        return None
    cause = f"the saved state ({saved})" if saved else f"start_date ({config['start_date']})"
    return (
        f"{stream}: {cause} asks for intervals LivePerson no longer keeps (it keeps 14 days). The intervals from "
        f"{wanted:{RFC3339}} to {oldest:{RFC3339}} can no longer be read; the sync starts at {oldest:{RFC3339}}."
    )
