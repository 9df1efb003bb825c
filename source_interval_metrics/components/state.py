"""Saved state written as the cursor writes it, never trusted past the present, and, for interval streams, aligned to
the interval grid."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import InitVar, dataclass
from typing import Any

from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString
from airbyte_cdk.sources.declarative.migrations.state_migration import StateMigration
from airbyte_cdk.sources.types import Config
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from isodate import parse_duration

from source_interval_metrics.interval_grid import CURSOR_FIELD, floor, parse, rfc3339

logger = logging.getLogger("airbyte")
CDK_MARKER = "__ab_"  # the CDK's own state keys, such as a full refresh's `__ab_no_cursor_state_message`


@dataclass
class SavedCursorStateMigration(StateMigration):
    """A saved `cursor_field` in any RFC 3339 form, written as the cursor writes it, alone (another key is dropped with
    a WARN; a state without it is another connector's, refused); one later than the latest moment there is to read
    (the last finished interval, or now) is moved back to it, with a WARN. On the interval grid it is
    moved so that it less the lookback window is an interval boundary (rounding down). State migrations in the CDK
    are custom components only. `cursor_end`: the cursor's `end_datetime`, as the manifest says it (the one owner)."""

    config: Config
    parameters: InitVar[Mapping[str, Any]]
    cursor_end: str
    cursor_field: str = CURSOR_FIELD
    on_interval_grid: bool = True

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
                    f"{self._stream}: the saved state {{'{self.cursor_field}': {value!r}}} is not an RFC 3339 "
                    f"date-time. Reset the stream, or give a state such as {{'{self.cursor_field}': "
                    "'2024-05-01T00:00:00Z'}."
                ),
                failure_type=FailureType.config_error,
            ) from None

    def _latest(self) -> dt.datetime:
        """The start of the last finished interval (on the grid), else the end of the last window: now."""
        end = parse(str(InterpolatedString.create(self.cursor_end, parameters={}).eval(self.config)))
        end += dt.timedelta(seconds=1)  # windows end a second before a boundary, or before now
        return end - dt.timedelta(minutes=int(self.config["interval_duration"])) if self.on_interval_grid else end

    def _as_written(self, saved: dt.datetime) -> str:
        if not self.on_interval_grid:
            return rfc3339(min(saved, self._latest()))
        lookback = parse_duration(self.config["lookback_window"])
        reread_from = min(saved, self._latest()) - lookback
        return rfc3339(floor(reread_from, int(self.config["interval_duration"])) + lookback)

    def should_migrate(self, stream_state: Mapping[str, Any]) -> bool:
        if not stream_state or "state_type" in stream_state:  # none, or the CDK's own concurrent form
            return False
        if all(key.startswith(CDK_MARKER) for key in stream_state):
            return True  # the CDK's mark of a full refresh (the stream was synced so before): read from the start
        if self.cursor_field not in stream_state:
            raise AirbyteTracedException(
                message=(
                    f"{self._stream}: the saved state {dict(stream_state)!r} was not written by this connector: it has "
                    f"no '{self.cursor_field}'. Reset the stream, or give a state such as {{'{self.cursor_field}': "
                    "'2024-05-01T00:00:00Z'}."
                ),
                failure_type=FailureType.config_error,
            )
        value = stream_state[self.cursor_field]
        return len(stream_state) > 1 or bool(self._as_written(self._saved(value)) != value)

    def migrate(self, stream_state: Mapping[str, Any]) -> Mapping[str, Any]:
        if all(key.startswith(CDK_MARKER) for key in stream_state):
            return {}  # dropped, not carried into the incremental state
        value = stream_state[self.cursor_field]
        saved = self._saved(value)
        written = self._as_written(saved)
        foreign = sorted(set(stream_state) - {self.cursor_field})
        if foreign:
            logger.warning(
                f"{self._stream}: the saved state has keys this connector does not write ({', '.join(foreign)}); "
                f"they are dropped, and the sync goes on from '{self.cursor_field}'."
            )
        if saved > self._latest():
            latest = "the last finished interval" if self.on_interval_grid else "now"
            logger.warning(
                f"{self._stream}: the saved state {{'{self.cursor_field}': {value!r}}} is later than {latest}; this "
                f"sync reads from {written} less the lookback window instead. If the state came from elsewhere, "
                "reset the stream."
            )
        return {self.cursor_field: written}
