"""LivePerson keeps 14 days of intervals: say which ones a sync wanted but can no longer read. Where a sync starts
and the oldest start LivePerson takes are the manifest cursor's to say: its expressions are rendered, not restated."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString
from isodate import parse_duration

from source_interval_metrics.interval_grid import RFC3339, floor, parse


def _rendered(expression: str, config: Mapping[str, Any]) -> dt.datetime:
    return parse(str(InterpolatedString.create(expression, parameters={}).eval(config)))


def unreadable_warning(
    stream: str, cursor: Mapping[str, Any], config: Mapping[str, Any], saved: str | None
) -> str | None:
    """A warning naming the range older than the API keeps, or None when nothing is lost. `cursor`: the manifest's
    `DatetimeBasedCursor` (its `start_datetime`'s `datetime` and `min_datetime`)."""
    start = cursor["start_datetime"]
    try:
        wanted = [_rendered(start["datetime"], config)] if config.get("start_date") else []
        if saved:
            wanted.append(floor(parse(saved) - parse_duration(config["lookback_window"]), config["interval_duration"]))
    except ValueError:  # a state that is not a date: SavedCursorStateMigration refuses it with a clear error
        return None
    oldest = _rendered(start["min_datetime"], config)
    if not wanted or max(wanted) >= oldest:
        return None
    cause = f"the saved state ({saved})" if saved else f"start_date ({config['start_date']})"
    return (
        f"{stream}: {cause} asks for intervals LivePerson no longer keeps (it keeps 14 days). The intervals from "
        f"{max(wanted):{RFC3339}} to {oldest:{RFC3339}} can no longer be read; the sync starts at {oldest:{RFC3339}}."
    )
