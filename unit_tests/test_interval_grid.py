"""The manifest's cursor, the one owner of where windows start and end: its expressions, rendered at edge clock times
for each interval length, give the contract's values (a boundary; 14 days back plus 15 minutes, rounded up to a
boundary; the last finished interval, less a second)."""

from __future__ import annotations

import pytest
from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString
from freezegun import freeze_time

from source_interval_metrics.manifest import manifest

CURSOR = manifest()["definitions"]["incremental_sync"]


def rendered(template: str, config: dict[str, object]) -> str:
    return str(InterpolatedString.create(template, parameters={}).eval(config))


@pytest.mark.parametrize(
    ("clock", "minutes", "first", "oldest", "end"),
    [
        ("2026-11-25T10:07:00Z", 15, "2026-11-22T03:00:00Z", "2026-11-11T10:30:00Z", "2026-11-25T09:59:59Z"),
        ("2026-11-25T10:00:00Z", 15, "2026-11-22T03:00:00Z", "2026-11-11T10:15:00Z", "2026-11-25T09:59:59Z"),
        ("2026-11-25T10:14:59Z", 30, "2026-11-22T03:00:00Z", "2026-11-11T10:30:00Z", "2026-11-25T09:59:59Z"),
        ("2026-11-25T10:14:59Z", 60, "2026-11-22T03:00:00Z", "2026-11-11T11:00:00Z", "2026-11-25T09:59:59Z"),
        ("2026-11-25T00:00:00Z", 60, "2026-11-22T03:00:00Z", "2026-11-11T01:00:00Z", "2026-11-24T23:59:59Z"),
        ("2026-11-24T23:44:00Z", 1440, "2026-11-22T00:00:00Z", "2026-11-11T00:00:00Z", "2026-11-23T23:59:59Z"),
        ("2026-11-25T10:07:00Z", 1440, "2026-11-22T00:00:00Z", "2026-11-12T00:00:00Z", "2026-11-24T23:59:59Z"),
    ],
)
def test_the_cursor_starts_on_a_boundary_inside_14_days_and_ends_at_the_last_finished_interval(
    clock: str, minutes: int, first: str, oldest: str, end: str
) -> None:
    config = {"interval_duration": minutes, "start_date": "2026-11-22T03:14:15Z"}
    with freeze_time(clock):
        assert rendered(CURSOR["start_datetime"]["datetime"], config) == first
        assert rendered(CURSOR["start_datetime"]["min_datetime"], config) == oldest
        assert rendered(CURSOR["end_datetime"], config) == end
