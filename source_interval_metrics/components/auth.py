"""Legacy API keys: two-legged OAuth 1.0a."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import InitVar, dataclass
from typing import Any

import requests
from airbyte_cdk.sources.declarative.auth.declarative_authenticator import DeclarativeAuthenticator
from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString
from airbyte_cdk.sources.types import Config
from requests_oauthlib import OAuth1


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
