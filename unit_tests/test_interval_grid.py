"""The manifest's cursor (Jinja) and `interval_grid` (Python) say the same about time, at any clock time and for
every interval length: where windows start, the 14-day floor, and where the last window ends."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString
from freezegun import freeze_time

from source_interval_metrics import interval_grid
from source_interval_metrics.manifest import manifest

CURSOR = manifest()["definitions"]["incremental_sync"]
EDGES = ["2026-11-25T10:00:00Z", "2026-11-25T10:14:59Z", "2026-11-25T00:00:00Z", "2026-11-24T23:59:59Z"]
CLOCKS = EDGES + [
    interval_grid.rfc3339(interval_grid.from_epoch(1_790_000_000 + random.Random(seed).randrange(10_000_000)))
    for seed in range(60)
]


def jinja(template: str, config: dict[str, object]) -> str:
    return str(InterpolatedString.create(template, parameters={}).eval(config))


@pytest.mark.parametrize("minutes", [15, 30, 60, 1440])
def test_the_manifest_and_the_grid_agree_at_every_clock_time(minutes: int) -> None:
    for clock in CLOCKS:
        now = interval_grid.parse(clock)
        start_date = interval_grid.rfc3339(now - dt.timedelta(days=3, seconds=random.Random(clock).randrange(86400)))
        config = {"interval_duration": minutes, "start_date": start_date}
        with freeze_time(now):
            first = jinja(CURSOR["start_datetime"]["datetime"], config)
            oldest = jinja(CURSOR["start_datetime"]["min_datetime"], config)
            end = jinja(CURSOR["end_datetime"], config)
        step = dt.timedelta(minutes=minutes)
        assert first == interval_grid.rfc3339(interval_grid.floor(interval_grid.parse(start_date), minutes)), clock
        assert oldest == interval_grid.rfc3339(interval_grid.oldest_readable(now, minutes)), clock
        last = interval_grid.last_finished(now, minutes)
        assert end == interval_grid.rfc3339(last + step - dt.timedelta(seconds=1)), clock
        assert last + step <= now < last + 2 * step, clock
