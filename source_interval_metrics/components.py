"""The few components the manifest cannot express declaratively; each does one job."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import InitVar, dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.auth.declarative_authenticator import DeclarativeAuthenticator
from airbyte_cdk.sources.declarative.extractors.record_extractor import RecordExtractor
from airbyte_cdk.sources.declarative.extractors.record_filter import RecordFilter
from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString
from airbyte_cdk.sources.declarative.migrations.state_migration import StateMigration
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.pagination_strategy import (
    PaginationStrategy,
)
from airbyte_cdk.sources.types import Config, Record, StreamSlice, StreamState
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from isodate import parse_duration
from requests_oauthlib import OAuth1

CURSOR_FIELD = "intervalStart"
RFC3339 = "%Y-%m-%dT%H:%M:%SZ"
INTEGER_ID_FIELDS = frozenset({"skillId", "agentGroupId", "agentId"})
PAGING_PARAMETERS = ("pageKey", "offset", "limit")
_BODY_ATTRIBUTE = "_interval_metrics_body"


def response_body(response: requests.Response) -> Mapping[str, Any]:
    """The decoded JSON body, parsed once and shared by the extractor and the paginator."""
    body = getattr(response, _BODY_ATTRIBUTE, None)
    if body is None:
        body = response.json() if response.content else {}
        if not isinstance(body, Mapping):
            raise AirbyteTracedException(
                message=f"LivePerson answered {response.status_code} with a JSON body that is not an object.",
                failure_type=FailureType.transient_error,
            )
        setattr(response, _BODY_ATTRIBUTE, body)
    return body


def to_rfc3339(value: str) -> str:
    """An RFC 3339 date-time as UTC with a `Z` and whole seconds, the form the cursor compares as text."""
    if len(value) == 20 and value[-1] == "Z" and value[10] == "T":
        return value
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC).strftime(RFC3339)


def _epoch_ms_to_rfc3339(value: int | float) -> str:
    return dt.datetime.fromtimestamp(value / 1000, dt.UTC).strftime(RFC3339)


def _as_integer_id(value: Any) -> Any:
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return value


@dataclass
class IntervalRecordExtractor(RecordExtractor):
    """Turns each entry of `intervals` into one flat record: metrics lifted, ids as integers, context added."""

    config: Config
    parameters: InitVar[Mapping[str, Any]]

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._context = {
            "accountId": str(self.config["account_id"]),
            "intervalDuration": int(self.config["interval_duration"]),
            "handleTimeModel": self.config["handle_time_model"],
        }

    def extract_records(self, response: requests.Response) -> Iterable[MutableMapping[str, Any]]:
        for entry in response_body(response).get("intervals") or ():
            yield self.flatten(entry)

    def flatten(self, entry: Mapping[str, Any]) -> MutableMapping[str, Any]:
        timeframe = entry.get("timeframe") or {}
        record: dict[str, Any] = {
            "accountId": self._context["accountId"],
            "intervalStart": self._time(timeframe, "from"),
            "intervalEnd": self._time(timeframe, "to"),
            "intervalDuration": self._context["intervalDuration"],
            "handleTimeModel": self._context["handleTimeModel"],
        }
        for key, value in entry.items():
            if key == "metrics":
                record.update(value or {})
            elif key in INTEGER_ID_FIELDS:
                record[key] = _as_integer_id(value)
            elif key != "timeframe":
                record[key] = value
        return record

    @staticmethod
    def _time(timeframe: Mapping[str, Any], name: str) -> str | None:
        if timeframe.get(name):
            return to_rfc3339(timeframe[name])
        if timeframe.get(f"{name}L") is not None:
            return _epoch_ms_to_rfc3339(timeframe[f"{name}L"])
        return None


@dataclass
class IntervalStartInWindowFilter(RecordFilter):
    """Keeps the intervals that start inside the window; the API also returns those that merely overlap it."""

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


@dataclass
class NextPageKeyOrNextRef(PaginationStrategy):
    """Follows `metadata.paging.nextPageKey`, else the paging parameters of `refs.next`, through empty pages.

    The token carries the keys already followed in this window, so a repeated key is caught without
    keeping state on the (shared) instance.
    """

    config: Config
    parameters: InitVar[Mapping[str, Any]]

    @property
    def initial_token(self) -> Any | None:
        return None

    def get_page_size(self) -> int | None:
        return None

    def next_page_token(
        self,
        response: requests.Response,
        last_page_size: int,
        last_record: Record | None,
        last_page_token_value: Any | None = None,
        page_size_override: int | None = None,
        stream_slice: StreamSlice | None = None,
    ) -> Mapping[str, Any] | None:
        paging = (response_body(response).get("metadata") or {}).get("paging") or {}
        next_page_key = paging.get("nextPageKey")
        next_ref = (paging.get("refs") or {}).get("next")
        if next_page_key:
            page = {"pageKey": str(next_page_key)}
        elif next_ref:
            page = self._paging_parameters_of(next_ref, response)
        else:
            return None
        followed: tuple[str, ...] = tuple((last_page_token_value or {}).get("followed", ()))
        key = "&".join(f"{name}={value}" for name, value in sorted(page.items()))
        if key in followed:
            raise AirbyteTracedException(
                message=(
                    f"LivePerson sent the same next page ({key}) twice for one window; stopping so as not to "
                    "read the same entries forever. Retry the sync later."
                ),
                failure_type=FailureType.transient_error,
            )
        return {**page, "followed": (*followed, key)}

    @staticmethod
    def _paging_parameters_of(next_ref: str, response: requests.Response) -> dict[str, str]:
        link = urlsplit(next_ref)
        here = urlsplit(response.request.url or "") if response.request is not None else None
        if link.netloc and (here is None or link.netloc != here.netloc):
            raise AirbyteTracedException(
                message=f"LivePerson's next-page link points at another host ({link.netloc}); refusing to follow it.",
                failure_type=FailureType.system_error,
            )
        page = {name: value for name, value in parse_qsl(link.query) if name in PAGING_PARAMETERS}
        if not page:
            raise AirbyteTracedException(
                message=f"LivePerson's next-page link has no paging parameter ({', '.join(PAGING_PARAMETERS)}).",
                failure_type=FailureType.system_error,
            )
        return page


@dataclass
class AlignStateToIntervalBoundary(StateMigration):
    """Moves a saved `intervalStart` so that it minus the lookback window is an interval boundary (rounding down)."""

    config: Config
    parameters: InitVar[Mapping[str, Any]]

    def _aligned(self, value: Any) -> str:
        try:
            saved = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise AirbyteTracedException(
                message=(
                    f"The saved state {{'{CURSOR_FIELD}': {value!r}}} is not an RFC 3339 date-time. "
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


@dataclass
class OAuth1Authenticator(DeclarativeAuthenticator):
    """Signs every request (and every retry, afresh) with two-legged OAuth 1.0a HMAC-SHA1 via requests-oauthlib."""

    config: Config
    parameters: InitVar[Mapping[str, Any]]
    consumer_key: str
    consumer_secret: str
    access_token: str
    access_token_secret: str

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        def value(template: str) -> str:
            return str(InterpolatedString.create(template, parameters=parameters).eval(self.config))

        self._signer = OAuth1(
            client_key=value(self.consumer_key),
            client_secret=value(self.consumer_secret),
            resource_owner_key=value(self.access_token),
            resource_owner_secret=value(self.access_token_secret),
            signature_method="HMAC-SHA1",
            signature_type="AUTH_HEADER",
        )

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        signed: requests.PreparedRequest = self._signer(request)
        return signed

    @property
    def auth_header(self) -> str:
        return ""

    @property
    def token(self) -> str:
        return ""
