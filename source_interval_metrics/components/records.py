"""From LivePerson's answers to the contract's records: one flat record per interval entry, kept if it starts in the
window; one record per status change, kept once if it happened in the window; roster fields typed."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import InitVar, dataclass, field
from typing import Any

import requests
from airbyte_cdk.sources.declarative.extractors.record_extractor import RecordExtractor
from airbyte_cdk.sources.declarative.extractors.record_filter import RecordFilter
from airbyte_cdk.sources.declarative.transformations import RecordTransformation
from airbyte_cdk.sources.types import Config, StreamSlice, StreamState

from source_interval_metrics.components.answer import response_body
from source_interval_metrics.interval_grid import CURSOR_FIELD, from_epoch, parse, time_of

INTEGER_ID_FIELDS = frozenset({"skillId", "agentGroupId", "agentId"})
COUNTS = frozenset(
    {
        "handledConversations",
        "repliedConversations",
        "consumerMessages",
        "agentMessages",
        "arrivals",
        "closedConversations",
    }
)


def as_boolean(value: Any) -> Any:
    """A flag sent as "true" or "false" is the boolean it is."""
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def as_integer(value: Any) -> Any:
    """A whole number sent as 20.0 or "20" is the integer it is (the schemas type counts and ids as integers)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return value


@dataclass
class IntervalRecordExtractor(RecordExtractor):
    """Turns each entry of `intervals` into one flat record: metrics lifted, ids as integers, context added.

    Declaratively this is a DpathExtractor and a chain of AddFields/RemoveFields per metric and id, which costs about
    five times the CPU of this one pass (measured)."""

    config: Config
    parameters: InitVar[Mapping[str, Any]]

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._context = {
            "accountId": str(self.config["account_id"]),
            "intervalDuration": int(self.config["interval_duration"]),
            "handleTimeModel": self.config["handle_time_model"],
        }

    def extract_records(self, response: requests.Response) -> Iterable[MutableMapping[str, Any]]:
        if response.status_code != 200:  # a 202 lists interval statuses, not data
            return
        for entry in response_body(response).get("intervals") or ():
            yield self.flatten(entry)

    def flatten(self, entry: Mapping[str, Any]) -> MutableMapping[str, Any]:
        timeframe = entry.get("timeframe") or {}
        record: dict[str, Any] = {
            "accountId": self._context["accountId"],
            "intervalStart": time_of(timeframe, "from"),
            "intervalEnd": time_of(timeframe, "to"),
            "intervalDuration": self._context["intervalDuration"],
            "handleTimeModel": self._context["handleTimeModel"],
        }
        for key, value in entry.items():
            if key == "metrics":
                for metric, amount in (value or {}).items():
                    record[metric] = amount if type(amount) is int or metric not in COUNTS else as_integer(amount)
            elif key in INTEGER_ID_FIELDS:
                record[key] = as_integer(value)
            elif key != "timeframe":
                record[key] = value
        return record


@dataclass
class IntervalStartInWindowRecordFilter(RecordFilter):
    """Keeps the intervals that start inside the window; the API also returns those that merely overlap it.

    A RecordFilter `condition` could say the same in Jinja, rendered once per record: this compares two strings."""

    def filter_records(
        self,
        records: Iterable[Mapping[str, Any]],
        stream_state: StreamState,
        stream_slice: StreamSlice | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> Iterable[Mapping[str, Any]]:
        if not stream_slice or "start_time" not in stream_slice:
            yield from records
            return
        first, last = stream_slice["start_time"], stream_slice["end_time"]
        for record in records:
            start = record.get(CURSOR_FIELD)
            if start is not None and first <= start <= last:
                yield record


STATUS_INTEGERS = (
    "agentId",
    "agentGroupId",
    "sessionId",
    "sequenceNumber",
    "statusType",
    "statusSubType",
    "statusReasonId",
)
LOGIN_OR_LOGOUT: dict[Any, str] = {3: "LOGIN", 4: "LOGOUT"}  # by type alone (their sub-type is 0)
STATES: dict[Any, str] = {1: "OFFLINE", 2: "ONLINE", 3: "OCCUPIED", 4: "AWAY"}  # sub-types of a state change (type 1)
NO_REASON = (None, "", 0, -1)
STATUS_KEY = ("agentId", "time", "statusType", "statusSubType", "sequenceNumber")
WINDOWS_REMEMBERED = 32  # windows whose status changes are remembered (more than ever run at once)


def utc_millis(value: Any) -> Any:
    """An RFC 3339 date-time (or epoch milliseconds) as UTC with a `Z` and milliseconds; anything else as it is."""
    if isinstance(value, str) and len(value) == 24 and value[19] == "." and value[23] == "Z" and value[10] == "T":
        return value  # already so, as LivePerson sends it
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            moment = from_epoch(value / 1000)
        elif isinstance(value, str) and value:
            moment = parse(value).astimezone(dt.UTC)
        else:
            return value
    except (ValueError, OverflowError, OSError):
        return value
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class StatusChangeRecordExtractor(RecordExtractor):
    """Turns each entry of `stateChanges` into the contract's record: ids as integers, times as UTC with
    milliseconds, a `status` label, null reason fields where there is no reason (whatever form says so), `accountId`."""

    config: Config
    parameters: InitVar[Mapping[str, Any]]

    def extract_records(self, response: requests.Response) -> Iterable[MutableMapping[str, Any]]:
        account = str(self.config["account_id"])
        for change in response_body(response).get("stateChanges") or ():
            yield self.record(change, account)

    @staticmethod
    def record(change: Mapping[str, Any], account: str) -> MutableMapping[str, Any]:
        record: dict[str, Any] = {"accountId": account, **change}
        for name in STATUS_INTEGERS:
            if name in record:
                record[name] = as_integer(record[name])
        record["time"] = utc_millis(record.get("time"))
        record["prevStatusChangeTime"] = utc_millis(record.get("prevStatusChangeTime")) or None
        kind = record.get("statusType")
        named = STATES.get(record.get("statusSubType")) if kind == 1 else LOGIN_OR_LOGOUT.get(kind)
        record["status"] = named or "UNKNOWN"
        if record.get("statusReasonId") in NO_REASON:
            record["statusReasonId"] = record["statusReasonText"] = None
        else:
            record["statusReasonText"] = record.get("statusReasonText") or None
        return record


@dataclass
class StatusChangesInWindowRecordFilter(RecordFilter):
    """Keeps the status changes that happened in the window's [start, end + 1 s), each once: the request asks from a
    second before the window to its end, so that every reading of `from` and `to` gives the window's changes, and
    offset pages over a window that is still being written may repeat one."""

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__post_init__(parameters)
        self._seen: OrderedDict[tuple[str, str], set[tuple[Any, ...]]] = OrderedDict()
        self._lock = threading.Lock()

    def filter_records(
        self,
        records: Iterable[Mapping[str, Any]],
        stream_state: StreamState,
        stream_slice: StreamSlice | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> Iterable[Mapping[str, Any]]:
        if not stream_slice or "start_time" not in stream_slice:
            yield from records
            return
        window = (stream_slice["start_time"], stream_slice["end_time"])
        first = utc_millis(window[0])
        end = utc_millis(int((parse(window[1]).timestamp() + 1) * 1000))
        with self._lock:
            if not next_page_token or window not in self._seen:  # the window's first page
                self._seen[window] = set()
                while len(self._seen) > WINDOWS_REMEMBERED:
                    self._seen.popitem(last=False)
            seen = self._seen[window]
        for record in records:
            moment = record.get("time")
            if not isinstance(moment, str) or not first <= moment < end:
                continue
            key = tuple(record.get(name) for name in STATUS_KEY)
            with self._lock:
                if key in seen:
                    continue
                seen.add(key)
            yield record


@dataclass
class TypedFieldsTransformation(RecordTransformation):
    """Ids and counts as integers and flags as booleans where LivePerson sends them as strings. Each of `integers` and
    `booleans` is a path such as `skillIds` or `managerOf.agentGroupId`: a list on the way is typed entry by entry."""

    parameters: InitVar[Mapping[str, Any]]
    integers: list[str] = field(default_factory=list)
    booleans: list[str] = field(default_factory=list)

    def transform(
        self,
        record: dict[str, Any],
        config: Config | None = None,
        stream_state: StreamState | None = None,
        stream_slice: StreamSlice | None = None,
    ) -> None:
        for paths, typed in ((self.integers, as_integer), (self.booleans, as_boolean)):
            for path in paths:
                _typed_at(record, path.split("."), typed)


def _typed_at(value: Any, path: list[str], typed: Callable[[Any], Any]) -> None:
    if isinstance(value, list):
        for entry in value:
            _typed_at(entry, path, typed)
    elif isinstance(value, dict) and path[0] in value:
        if len(path) > 1:
            _typed_at(value[path[0]], path[1:], typed)
        elif isinstance(value[path[0]], list):
            value[path[0]] = [typed(entry) for entry in value[path[0]]]
        else:
            value[path[0]] = typed(value[path[0]])
