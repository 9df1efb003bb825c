"""A start older than the API's 14 days is clamped, with a warning naming what can no longer be read."""

from __future__ import annotations

import datetime as dt

from freezegun import freeze_time

from source_interval_metrics.manifest import manifest
from source_interval_metrics.retention import unreadable_warning
from unit_tests.conftest import VerifiedHttpMocker, config, mock_daily_windows, mock_sign_in, read_streams

NOW = dt.datetime(2026, 11, 25, 10, 7, tzinfo=dt.UTC)
SETTINGS = {"interval_duration": 15, "lookback_window": "PT1H"}
CURSOR = manifest()["definitions"]["incremental_sync"]


def warning_of(settings: dict[str, object], saved: str | None) -> str | None:
    with freeze_time(NOW):
        return unreadable_warning("s", CURSOR, settings, saved)


@freeze_time(NOW)
def test_a_stale_state_names_the_range_lost() -> None:
    warning = unreadable_warning("skill_interval_metrics", CURSOR, SETTINGS, "2026-11-01T00:00:00Z")
    assert warning == (
        "skill_interval_metrics: the saved state (2026-11-01T00:00:00Z) asks for intervals LivePerson no longer "
        "keeps (it keeps 14 days). The intervals from 2026-10-31T23:00:00Z to 2026-11-11T10:30:00Z can no longer "
        "be read; the sync starts at 2026-11-11T10:30:00Z."
    )


def test_an_old_start_date_warns_and_a_recent_one_does_not() -> None:
    old = warning_of({**SETTINGS, "start_date": "2026-01-01T00:00:00Z"}, None)
    assert old is not None and "start_date (2026-01-01T00:00:00Z)" in old
    assert old.endswith(
        "The intervals from 2026-01-01T00:00:00Z to 2026-11-11T10:30:00Z can no longer be read; "
        "the sync starts at 2026-11-11T10:30:00Z."
    )
    daily = warning_of({**SETTINGS, "interval_duration": 1440, "start_date": "2026-01-01T05:00:00Z"}, None)
    assert daily is not None and "from 2026-01-01T00:00:00Z to 2026-11-12T00:00:00Z" in daily
    assert warning_of({**SETTINGS, "start_date": "2026-11-20T00:00:00Z"}, None) is None
    assert warning_of(SETTINGS, None) is None
    assert warning_of(SETTINGS, "2026-11-24T00:00:00Z") is None


@freeze_time(NOW)
def test_a_sync_from_a_stale_state_starts_at_the_oldest_interval_and_warns() -> None:
    stream = "skill_interval_metrics"
    cfg = {key: value for key, value in config().items() if key != "start_date"}
    start = dt.datetime(2026, 11, 11, 10, 30, tzinfo=dt.UTC)
    end = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
    with VerifiedHttpMocker() as http_mocker:
        mock_sign_in(http_mocker)
        mock_daily_windows(http_mocker, stream, start, end)
        output = read_streams(cfg, stream, state={"intervalStart": "2026-11-01T00:00:00Z"})
    assert not output.errors
    assert output.is_in_logs("can no longer be read; the sync starts at 2026-11-11T10:30:00Z")
    warnings = [log.log for log in output.logs if log.log.level.name == "WARN"]
    assert any("2026-10-31T23:00:00Z to 2026-11-11T10:30:00Z" in w.message for w in warnings)
