"""Signing in to LivePerson: OAuth 2.0 client credentials from Sentinel, or legacy two-legged OAuth 1.0a keys."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import InitVar, dataclass
from typing import Any, ClassVar

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.auth.declarative_authenticator import DeclarativeAuthenticator
from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString
from airbyte_cdk.sources.types import Config
from airbyte_cdk.utils.airbyte_secrets_utils import add_to_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from requests_oauthlib import OAuth1

from source_interval_metrics.components.answers import api_message, decoded
from source_interval_metrics.components.errors import ask_patiently

RENEW_BEFORE_EXPIRY = 60.0
DEFAULT_LIFETIME = 3600.0
TOKEN_TIMEOUT = (15.0, 60.0)


@dataclass
class OAuth1Authenticator(DeclarativeAuthenticator):
    """Signs every request (and every retry, afresh) with two-legged OAuth 1.0a HMAC-SHA1 via requests-oauthlib.

    The CDK has no OAuth 1.0a authenticator."""

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


@dataclass
class SentinelClientCredentials(DeclarativeAuthenticator):
    """OAuth 2.0 client credentials from the account's Sentinel host: one token per account and client, shared
    by every stream and thread, renewed before it expires (a minute, or a tenth of its life) and after a 401.

    Not the CDK's OAuthAuthenticator: that keeps one token per stream, asks Sentinel without a timeout, retries
    429 and 5xx exponentially for five minutes instead of LivePerson's 5, 10 and 15 s, and says "unexpected
    HTTPError" for a wrong secret; changing those would mean overriding its private request method."""

    config: Config
    parameters: InitVar[Mapping[str, Any]]
    token_url: str
    client_id: str
    client_secret: str

    _tokens: ClassVar[dict[tuple[str, str], tuple[str, float]]] = {}  # (url, client id) -> (token, renew at)
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        def value(template: str) -> str:
            return str(InterpolatedString.create(template, parameters=parameters).eval(self.config))

        self._url, self._id, self._secret = value(self.token_url), value(self.client_id), value(self.client_secret)
        self._key = (self._url, self._id)

    @property
    def auth_header(self) -> str:
        return "Authorization"

    @property
    def token(self) -> str:
        return f"Bearer {self.access_token()}"

    def access_token(self) -> str:
        with self._lock:
            cached = self._tokens.get(self._key)
            if cached and cached[1] > time.time():
                return cached[0]
            return self._fetch()

    def refresh_and_set_access_token(self) -> None:
        """Called by the CDK's HTTP client when LivePerson answers 401 to a request: fetch a new token."""
        with self._lock:
            self._fetch()

    def _fetch(self) -> str:
        form = {"client_id": self._id, "client_secret": self._secret, "grant_type": "client_credentials"}
        answer = ask_patiently(
            lambda: requests.post(self._url, data=form, timeout=TOKEN_TIMEOUT), "LivePerson's Sentinel"
        )
        body = decoded(answer)
        if answer.status_code == 200 and body and body.get("access_token"):
            return self._keep(str(body["access_token"]), body.get("expires_in"))
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

    def _keep(self, token: str, expires_in: Any) -> str:
        add_to_secrets(token)
        try:
            lifetime = float(expires_in)
        except (TypeError, ValueError):
            lifetime = DEFAULT_LIFETIME
        self._tokens[self._key] = (token, time.time() + lifetime - min(RENEW_BEFORE_EXPIRY, lifetime / 10))
        return token
