"""Signing in to LivePerson: OAuth 2.0 client credentials from the account's Sentinel (OAuth 1.0a ended 2026-05-31)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.auth.oauth import DeclarativeOauth2Authenticator
from airbyte_cdk.utils.airbyte_secrets_utils import add_to_secrets
from airbyte_cdk.utils.datetime_helpers import ab_datetime_now
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_interval_metrics import service_hosts
from source_interval_metrics.components.account import LivePersonAccount, Token, account_of
from source_interval_metrics.components.answer import api_message, decoded
from source_interval_metrics.components.error_handler import ask_patiently

RENEW_BEFORE_EXPIRY = 60.0
DEFAULT_LIFETIME = 3600.0  # when Sentinel does not say
TOKEN_TIMEOUT = (15.0, 60.0)


@dataclass
class SentinelOAuthAuthenticator(DeclarativeOauth2Authenticator):
    """The CDK's OAuth 2.0 authenticator (client credentials, expiry, renewal after a 401), with what it does not do:
    one token for every stream of the sync (the verb's `LivePersonAccount`; it keeps one per stream), renewed a minute
    (or a tenth of its life) early, asked for with a timeout and LivePerson's 5, 10 and 15 s retries (it sends none and
    retries for five minutes), and a refusal that says what to check."""

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__post_init__(parameters)
        self._own_account = LivePersonAccount()

    def refresh_access_token(self) -> Token:
        """The sync's token, unless it is the one this instance has tried; else a new one."""
        account = account_of(self.config, self._own_account)
        url = str(self.get_token_refresh_endpoint())
        body = self.build_refresh_request_body()
        return account.token(
            self._token_in_use(),
            lambda: self._token_of(
                ask_patiently(account, "LivePerson's Sentinel", "POST", url, TOKEN_TIMEOUT, data=body)
            ),
        )

    def get_token_refresh_endpoint(self) -> str:
        """The manifest's path on the account's Sentinel host, found when the first token is asked for."""
        account = account_of(self.config, self._own_account)
        return service_hosts.service_url(self.config, service_hosts.SENTINEL, account) + str(
            super().get_token_refresh_endpoint()
        )

    @property
    def auth_header(self) -> str:
        return "Authorization"

    @property
    def token(self) -> str:
        return f"Bearer {self.get_access_token()}"

    def _token_in_use(self) -> str | None:
        try:
            return self.access_token
        except ValueError:  # none yet
            return None

    def _token_of(self, answer: requests.Response) -> Token:
        body = decoded(answer)
        if answer.status_code == 200 and body and body.get("access_token"):
            add_to_secrets(str(body["access_token"]))
            try:
                lifetime = float(str(body.get("expires_in")))
            except ValueError:
                lifetime = DEFAULT_LIFETIME
            if not (math.isfinite(lifetime) and lifetime > 0):
                lifetime = DEFAULT_LIFETIME
            renew_at = ab_datetime_now() + dt.timedelta(seconds=lifetime - min(RENEW_BEFORE_EXPIRY, lifetime / 10))
            return str(body["access_token"]), renew_at
        if answer.status_code in (400, 401, 403, 404):
            raise AirbyteTracedException(
                message=(
                    f"LivePerson's Sentinel refused the OAuth 2.0 client for account "
                    f"{self.config.get('account_id')} (HTTP {answer.status_code}: {api_message(answer)}). "
                    "Check the client id and secret of the application installed in the Management Console "
                    "(Application Install)."
                ),
                failure_type=FailureType.config_error,
            )
        raise AirbyteTracedException(
            message=f"LivePerson's Sentinel answered HTTP {answer.status_code} without an access token; "
            "try again later.",
            failure_type=FailureType.transient_error,
        )
