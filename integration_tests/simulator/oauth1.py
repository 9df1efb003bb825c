"""OAuth 1.0a (two-legged, HMAC-SHA1) as LivePerson checks API keys, through oauthlib's public ResourceEndpoint."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from oauthlib.oauth1 import RequestValidator, ResourceEndpoint


@dataclass
class ApiKeys(RequestValidator):  # type: ignore[misc]  # oauthlib is untyped
    """One app key, its secret, access token and token secret; each nonce accepted once."""

    consumer_key: str
    consumer_secret: str
    access_token: str
    access_token_secret: str
    nonces: set[tuple[str, str]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        super().__init__()

    enforce_ssl = False  # the simulator speaks plain HTTP on 127.0.0.1
    allowed_signature_methods = ("HMAC-SHA1",)
    dummy_client = "dummy-client"
    dummy_access_token = "dummy-access-token"

    def check_client_key(self, client_key: str) -> bool:  # any spelling LivePerson issues
        return True

    def check_access_token(self, request_token: str) -> bool:
        return True

    def check_nonce(self, nonce: str) -> bool:
        return True

    def validate_client_key(self, client_key: str, request: Any) -> bool:
        return client_key == self.consumer_key

    def validate_access_token(self, client_key: str, token: str, request: Any) -> bool:
        return token == self.access_token

    def get_client_secret(self, client_key: str, request: Any) -> str:
        return self.consumer_secret

    def get_access_token_secret(self, client_key: str, token: str, request: Any) -> str:
        return self.access_token_secret

    def validate_realms(self, *args: Any, **kwargs: Any) -> bool:
        return True

    def validate_timestamp_and_nonce(
        self, client_key: str, timestamp: str, nonce: str, *args: Any, **kwargs: Any
    ) -> bool:
        with self.lock:
            if (timestamp, nonce) in self.nonces:
                return False
            self.nonces.add((timestamp, nonce))
            return True

    def problem(self, url: str, method: str, headers: dict[str, str]) -> str | None:
        """None when the request is signed with these keys, else LivePerson's words for why not."""
        valid, request = ResourceEndpoint(self).validate_protected_resource_request(url, method, "", headers)
        if valid:
            return None
        if request is None:
            return "malformed OAuth header, or a signature method other than HMAC-SHA1"
        checks = getattr(request, "validator_log", {})
        if not checks:
            return "oauth_problem=nonce_used"
        if not (checks.get("client") and checks.get("resource_owner")):
            return "unknown consumer key or access token"
        return "oauth_problem=signature_invalid"
