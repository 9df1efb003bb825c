"""The config rules JSON Schema cannot say, as the spec's validations: each refuses a value with a line naming the
key and the form it takes (the connector prefixes it as a config error)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from airbyte_cdk.sources.declarative.validators.validation_strategy import ValidationStrategy
from isodate import ISO8601Error, parse_duration

from source_interval_metrics import groupings
from source_interval_metrics.interval_grid import parse


@dataclass
class PastDateTimeValidationStrategy(ValidationStrategy):
    """`start_date`: a real RFC 3339 date-time, not in the future (empty: the oldest LivePerson has)."""

    def validate(self, value: Any) -> None:
        if not isinstance(value, str) or not value:
            return
        try:
            start = parse(value)
        except ValueError as error:
            raise ValueError(
                f"start_date {value!r} is not a date-time ({error}); use the form YYYY-MM-DDTHH:mm:ssZ, for example "
                "2024-05-01T00:00:00Z."
            ) from None
        if start > dt.datetime.now(dt.UTC):
            raise ValueError(
                f"start_date {value} is in the future; give a past date-time (LivePerson keeps the last 14 days), or "
                "leave it empty to start at the oldest interval LivePerson has."
            )


@dataclass
class IsoDurationValidationStrategy(ValidationStrategy):
    """`lookback_window`: an ISO 8601 duration."""

    def validate(self, value: Any) -> None:
        try:
            parse_duration(value)
        except (ISO8601Error, ValueError, TypeError, AttributeError):
            raise ValueError(
                f"lookback_window must be an ISO 8601 duration such as PT1H or P1D; got {value!r}."
            ) from None


@dataclass
class CombinedGroupingsValidationStrategy(ValidationStrategy):
    """`extra_groupings`: combinations of two or more dimensions, each once."""

    def validate(self, value: Any) -> None:
        if isinstance(value, list):  # anything else is the spec's to refuse (an array of strings)
            groupings.combinations({"extra_groupings": value})


INSTALL_OAUTH2 = (
    "In the Management Console, open Application Install, install an application with the client credentials grant "
    "and the Data > Workforce Management permission, and give its client id and secret with auth_type oauth2."
)
API_KEY_FIELDS = frozenset({"consumer_key", "consumer_secret", "access_token", "access_token_secret"})


@dataclass
class OAuth2CredentialsValidationStrategy(ValidationStrategy):
    """`credentials`: an OAuth 2.0 application; API keys (OAuth 1.0a, ended) refused with what to do."""

    def validate(self, value: Any) -> None:
        if not isinstance(value, dict):
            return
        if value.get("auth_type") == "oauth1" or API_KEY_FIELDS & value.keys():
            raise ValueError(
                f"credentials are API keys (OAuth 1.0a), which LivePerson ended on 2026-05-31. {INSTALL_OAUTH2}"
            )
