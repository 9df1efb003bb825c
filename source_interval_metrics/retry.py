"""LivePerson's retry policy ("429: wait at least 1 s; 5xx: retry 3 times with pauses of at least 5, 10 and 15 s"), for
the requests the CDK does not send itself (the Domain API, Sentinel)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

logger = logging.getLogger("airbyte")

SERVER_ERRORS = frozenset({500, 502, 503, 504})
SERVER_PAUSES = (5.0, 10.0, 15.0)
RATE_LIMIT_RETRIES = 8
RATE_LIMIT_CAP = 60.0


def ask_patiently(
    ask: Callable[[], requests.Response], what: str, sleep: Callable[[float], None] | None = None
) -> requests.Response:
    """`ask()` again after 5, 10 and 15 s while it fails to connect or answers 429 or 5xx; then a transient error."""
    problem = ""
    for pause in (*SERVER_PAUSES, None):
        try:
            answer = ask()
        except requests.RequestException as error:
            problem = f"could not be reached ({type(error).__name__})"
        else:
            if answer.status_code != 429 and answer.status_code not in SERVER_ERRORS:
                return answer
            problem = f"answered HTTP {answer.status_code}"
        if pause is None:
            break
        logger.warning(f"{what} {problem}; asking again in {pause:.0f} s.")
        (sleep or time.sleep)(pause)
    raise AirbyteTracedException(
        message=f"{what} {problem}; try again later.", failure_type=FailureType.transient_error
    )
