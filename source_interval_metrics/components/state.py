"""Saved state made to fit the interval grid (or, for status changes, the cursor's form), and never trusted past the
present."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import InitVar, dataclass
from typing import Any

from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.migrations.state_migration import StateMigration
from airbyte_cdk.sources.types import Config
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from isodate import parse_duration

from source_interval_metrics.interval_grid import CURSOR_FIELD, floor, last_finished, parse, rfc3339

logger = logging.getLogger("airbyte")


def saved_time(stream: str, cursor_field: str, value: Any) -> dt.datetime:
    """The moment a saved state names, or a config error saying how to mend a state that names none."""
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return parse(value)
    except ValueError:
        raise AirbyteTracedException(
            message=(
                f"{stream}: the saved state {{'{cursor_field}': {value!r}}} is not an RFC 3339 date-time. Reset the "
                f"stream, or give a state such as {{'{cursor_field}': '2024-05-01T00:00:00Z'}}."
            ),
            failure_type=FailureType.config_error,
        ) from None


@dataclass
class AlignStateToIntervalBoundary(StateMigration):
    """Moves a saved `intervalStart` so that it minus the lookback window is an interval boundary (rounding down); a
    state later than the last finished interval is moved back to it, with a warning. (State migrations in the CDK
    are custom components only.)"""

    config: Config
    parameters: InitVar[Mapping[str, Any]]

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._stream = parameters.get("name", "stream")

    def _saved(self, value: Any) -> dt.datetime:
        return saved_time(self._stream, CURSOR_FIELD, value)

    def _last_finished_interval(self) -> dt.datetime:
        return last_finished(dt.datetime.now(dt.UTC), int(self.config["interval_duration"]))

    def _aligned(self, saved: dt.datetime) -> str:
        lookback = parse_duration(self.config["lookback_window"])
        reread_from = min(saved, self._last_finished_interval()) - lookback
        return rfc3339(floor(reread_from, int(self.config["interval_duration"])) + lookback)

    def should_migrate(self, stream_state: Mapping[str, Any]) -> bool:
        if not stream_state or CURSOR_FIELD not in stream_state or "state_type" in stream_state:
            return False
        value = stream_state[CURSOR_FIELD]
        return bool(self._aligned(self._saved(value)) != value)

    def migrate(self, stream_state: Mapping[str, Any]) -> Mapping[str, Any]:
        value = stream_state[CURSOR_FIELD]
        saved, aligned = self._saved(value), self._aligned(self._saved(value))
        if saved > self._last_finished_interval():
            logger.warning(
                f"{self._stream}: the saved state {{'{CURSOR_FIELD}': {value!r}}} is later than the last finished "
                f"interval; this sync reads from {aligned} less the lookback window instead. If the state came "
                "from elsewhere, reset the stream."
            )
        return {**stream_state, CURSOR_FIELD: aligned}


@dataclass
class StatusChangeTime(StateMigration):
    """Writes a saved `time` (any RFC 3339 form) as the cursor writes it; one later than now is moved back to now, with
    a warning."""

    config: Config
    parameters: InitVar[Mapping[str, Any]]

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._stream = parameters.get("name", "stream")

    def _as_written(self, value: Any) -> str:
        return rfc3339(min(saved_time(self._stream, "time", value), dt.datetime.now(dt.UTC)))

    def should_migrate(self, stream_state: Mapping[str, Any]) -> bool:
        if not stream_state or "time" not in stream_state or "state_type" in stream_state:
            return False
        return bool(self._as_written(stream_state["time"]) != stream_state["time"])

    def migrate(self, stream_state: Mapping[str, Any]) -> Mapping[str, Any]:
        value = stream_state["time"]
        if saved_time(self._stream, "time", value) > dt.datetime.now(dt.UTC):
            logger.warning(
                f"{self._stream}: the saved state {{'time': {value!r}}} is in the future; this sync reads from now "
                "less the lookback window instead. If the state came from elsewhere, reset the stream."
            )
        return {**stream_state, "time": self._as_written(value)}
