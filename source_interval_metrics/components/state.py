"""Saved state made to fit the interval grid."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import InitVar, dataclass
from typing import Any

from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.migrations.state_migration import StateMigration
from airbyte_cdk.sources.types import Config
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from isodate import parse_duration

from source_interval_metrics.components.answers import CURSOR_FIELD, RFC3339


@dataclass
class AlignStateToIntervalBoundary(StateMigration):
    """Moves a saved `intervalStart` so that it minus the lookback window is an interval boundary (rounding down)."""

    config: Config
    parameters: InitVar[Mapping[str, Any]]

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._stream = parameters.get("name", "stream")

    def _aligned(self, value: Any) -> str:
        try:
            saved = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise AirbyteTracedException(
                message=(
                    f"{self._stream}: the saved state {{'{CURSOR_FIELD}': {value!r}}} is not an RFC 3339 date-time. "
                    "Reset the stream, or give a state such as {'intervalStart': '2024-05-01T00:00:00Z'}."
                ),
                failure_type=FailureType.config_error,
            ) from None
        if saved.tzinfo is None:
            saved = saved.replace(tzinfo=dt.UTC)
        step = int(self.config["interval_duration"]) * 60
        lookback = int(parse_duration(self.config["lookback_window"]).total_seconds())
        reread_from = int(saved.timestamp()) - lookback
        aligned = reread_from - reread_from % step + lookback
        return dt.datetime.fromtimestamp(aligned, dt.UTC).strftime(RFC3339)

    def should_migrate(self, stream_state: Mapping[str, Any]) -> bool:
        value = (stream_state or {}).get(CURSOR_FIELD)
        return value is not None and "state_type" not in stream_state and self._aligned(value) != value

    def migrate(self, stream_state: Mapping[str, Any]) -> Mapping[str, Any]:
        return {**stream_state, CURSOR_FIELD: self._aligned(stream_state[CURSOR_FIELD])}
