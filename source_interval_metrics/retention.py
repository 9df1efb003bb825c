"""LivePerson keeps 14 days of intervals: say which ones a sync wanted but can no longer read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from isodate import parse_duration

from source_interval_metrics.interval_grid import RFC3339, floor, oldest_readable, parse


def wanted_start(config: Mapping[str, Any], saved: str | None) -> dt.datetime | None:
    """Where the sync would start without the API's limit: start_date, or the state minus the lookback window."""
    minutes = int(config["interval_duration"])
    candidates = []
    if config.get("start_date"):
        candidates.append(floor(parse(config["start_date"]), minutes))
    if saved:
        candidates.append(floor(parse(saved) - parse_duration(config["lookback_window"]), minutes))
    return max(candidates) if candidates else None


def unreadable_warning(stream: str, config: Mapping[str, Any], saved: str | None, now: dt.datetime) -> str | None:
    """A warning naming the range that is older than the API keeps, or None when nothing is lost."""
    try:
        wanted = wanted_start(config, saved)
    except ValueError:  # a state that is not a date: SavedCursorStateMigration refuses it with a clear error
        return None
    oldest = oldest_readable(now, int(config["interval_duration"]))
    if wanted is None or wanted >= oldest:
        return None
    cause = f"the saved state ({saved})" if saved else f"start_date ({config['start_date']})"
    return (
        f"{stream}: {cause} asks for intervals LivePerson no longer keeps (it keeps 14 days). The intervals from "
        f"{wanted:{RFC3339}} to {oldest:{RFC3339}} can no longer be read; the sync starts at {oldest:{RFC3339}}."
    )
