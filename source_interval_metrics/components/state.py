"""Saved state made to fit the interval grid, and never trusted past the present."""

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
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            return parse(value)
        except ValueError:
            raise AirbyteTracedException(
                message=(
                    f"{self._stream}: the saved state {{'{CURSOR_FIELD}': {value!r}}} is not an RFC 3339 date-time. "
                    "Reset the stream, or give a state such as {'intervalStart': '2024-05-01T00:00:00Z'}."
                ),
                failure_type=FailureType.config_error,
            ) from None

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
