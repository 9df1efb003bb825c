"""LivePerson's response codes and retry policy, as its method page and platform docs state them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import InitVar, dataclass
from typing import Any

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.requesters.error_handlers import DefaultErrorHandler, HttpResponseFilter
from airbyte_cdk.sources.streams.http.error_handlers import BackoffStrategy
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ErrorResolution, ResponseAction
from airbyte_cdk.sources.streams.http.http_client import HttpClient
from airbyte_cdk.sources.types import Config
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_interval_metrics.components.account import ACCOUNT, LivePersonAccount, account_of, host_of, is_outage
from source_interval_metrics.components.answer import (
    api_message,
    asked_query,
    decoded,
    names_an_unfinished_interval,
    page_asked_again,
    page_problem,
)

logger = logging.getLogger("airbyte")

# LivePerson's retry policy: "429: wait at least 1 s; 5xx: retry 3 times with pauses of at least 5, 10 and 15 s".
SERVER_PAUSES = (5.0, 10.0, 15.0)
RATE_LIMIT_RETRIES = 8
RATE_LIMIT_CAP = 60.0
REPEAT_PAUSES = (1.0, 2.0, 4.0)  # a page whose next page is itself ("not ready yet") is asked again after these
CDK_EXTRA_SECOND = 1.0  # the CDK's HTTP client sleeps one second more than the backoff it is given
ACCESS_HELP = (
    "Check the client id and secret, that the application has the Data > Workforce Management "
    "permission, and that LivePerson enabled LEUI.BAM_Enabled, Common.WorkforceManagement_AHT and "
    "lp-agentactivity-app.wfm-nrt-interval-metrics for the account."
)


def _resolution(action: ResponseAction, failure: FailureType, message: str) -> ErrorResolution:
    return ErrorResolution(response_action=action, failure_type=failure, error_message=message)


@dataclass
class LivePersonErrorHandler(DefaultErrorHandler):
    """What the manifest's response filters cannot say, classified only: a 200 that is not a page of intervals, or
    whose next page is itself (retried), a 202 (for the paginator; asked again after LivePerson's pauses while it
    names no unfinished interval in the window), a 400 (let by: the requester asks again to learn
    why, and raises what it cannot mend) and a 401 (the token is renewed once, then the
    refusal says what the application needs). Everything else goes to the manifest's filters.
    The stream's `$parameters` name its records' field (`records`) and what its access needs (`access_help`)."""

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__post_init__(parameters)
        self._records = str(parameters.get("records", "intervals"))
        self._access_help = str(parameters.get("access_help") or ACCESS_HELP)  # what this stream's access needs
        self._202s: dict[str | None, int] = {}  # URL -> 202s naming nothing unfinished, in a row
        self._lock = threading.Lock()

    def _waited_out(self, response: requests.Response) -> bool:
        """Whether this request (its URL) has had a 202 naming nothing unfinished after each of LivePerson's pauses."""
        url = response.request.url if response.request is not None else ""
        with self._lock:
            asked = self._202s.get(url, 0) + 1
            self._202s[url] = asked
            if asked > len(SERVER_PAUSES):
                del self._202s[url]
        return asked > len(SERVER_PAUSES)

    def interpret_response(self, response_or_exception: requests.Response | Exception | None) -> ErrorResolution:
        if not isinstance(response_or_exception, requests.Response):
            return super().interpret_response(response_or_exception)
        response, status = response_or_exception, response_or_exception.status_code
        if status != 202 and self._202s and response.request is not None:
            with self._lock:  # the request got past its 202s: a later one of the same URL waits them out anew
                self._202s.pop(response.request.url, None)
        if status == 200:
            problem = page_problem(decoded(response), self._records)
            if problem:
                return _resolution(
                    ResponseAction.RETRY, FailureType.transient_error, f"LivePerson answered HTTP 200 with {problem}."
                )
            repeated = page_asked_again(response)
            if repeated:  # "not ready yet": asked again, its entries never read twice
                return _resolution(
                    ResponseAction.RETRY,
                    FailureType.transient_error,
                    f"LivePerson answered the page {repeated} with a next page that is the same page.",
                )
            return _resolution(ResponseAction.SUCCESS, FailureType.transient_error, "")
        if status == 202:  # still processing: the paginator reads what is done, or leaves the window once waited out
            if names_an_unfinished_interval(response) or self._waited_out(response):
                return _resolution(ResponseAction.SUCCESS, FailureType.transient_error, "")
            query = asked_query(response)
            return _resolution(
                ResponseAction.RETRY,
                FailureType.transient_error,
                f"LivePerson answered 202 (still processing) for {query.get('from')} to {query.get('to')} without "
                "naming an unfinished interval in it; asking again.",
            )
        if status == 400:  # the requester's (AgentActivityRequester): it asks again to learn why, or raises
            return _resolution(
                ResponseAction.IGNORE,
                FailureType.config_error,
                f"LivePerson refused a request (HTTP 400: {api_message(response)}); asking again to learn why.",
            )
        if status == 401:
            said = api_message(response)
            return _resolution(
                ResponseAction.REFRESH_TOKEN_THEN_RETRY,
                FailureType.config_error,
                f"LivePerson did not accept the credentials (HTTP 401: {said}). {self._access_help}",
            )
        return super().interpret_response(response)


@dataclass
class LivePersonBackoffStrategy(BackoffStrategy):
    """429: Retry-After (at least 1 s), doubling to a minute; 5xx, bad bodies, timeouts: 5, 10, 15 s, then fail. A host
    whose request has used up those retries on a 5xx or no answer is down for the sync: no other request retries it.

    The CDK's backoff strategies give one curve for every status; LivePerson's policy has two.

    A 401 is retried straight away, as is a 400 refusing a metric: the CDK has just fetched a new token, or the
    request no longer asks for the metric.
    """

    config: Config
    parameters: InitVar[Mapping[str, Any]]

    def __post_init__(self, parameters: Mapping[str, Any] | None) -> None:
        self._records = str((parameters or {}).get("records", "intervals"))
        self._own_account = LivePersonAccount()

    def backoff_time(
        self, response_or_exception: requests.Response | requests.RequestException | None, attempt_count: int
    ) -> float | None:
        if isinstance(response_or_exception, requests.Response) and response_or_exception.status_code == 401:
            return 0.001  # at once, with the fresh token the CDK has just fetched
        answer = response_or_exception if isinstance(response_or_exception, requests.Response) else None
        repeated_page = page_asked_again(answer) if answer is not None and answer.status_code == 200 else None
        if isinstance(response_or_exception, requests.Response) and response_or_exception.status_code == 429:
            if attempt_count > RATE_LIMIT_RETRIES:
                self._give_up(response_or_exception, f"{RATE_LIMIT_RETRIES} retries, up to a minute apart")
            wait = max(_retry_after(response_or_exception), min(2.0 ** (attempt_count - 1), RATE_LIMIT_CAP))
        elif repeated_page:
            if attempt_count > len(REPEAT_PAUSES):
                raise AirbyteTracedException(
                    message=f"LivePerson kept answering the page {repeated_page} with a next page that is the same "
                    f"page, {len(REPEAT_PAUSES) + 1} times; this window is left for the next sync to read.",
                    failure_type=FailureType.transient_error,
                )
            wait = REPEAT_PAUSES[attempt_count - 1]
        else:
            if is_outage(response_or_exception):  # another request may have found the host down: no retries then
                self._account().refuse_if_down(_url_of(response_or_exception))
            if attempt_count > len(SERVER_PAUSES):
                self._give_up(response_or_exception, f"{len(SERVER_PAUSES)} retries, {_pauses()} s apart")
            wait = SERVER_PAUSES[attempt_count - 1]
        # Never 0: the CDK would fall back to its own exponential backoff.
        return max(wait - CDK_EXTRA_SECOND, 0.001)

    def _account(self) -> LivePersonAccount:
        return account_of(self.config, self._own_account)

    def _give_up(self, answer: requests.Response | requests.RequestException | None, retries: str) -> None:
        if isinstance(answer, requests.Response) and answer.status_code == 200:
            what = f"HTTP 200 with {page_problem(decoded(answer), self._records)}"
        elif isinstance(answer, requests.Response):
            what = f"HTTP {answer.status_code}: {api_message(answer)}"
        elif isinstance(answer, requests.Timeout):
            what = f"{type(answer).__name__}: no answer in time"
        else:
            what = f"{type(answer).__name__}: could not connect" if answer is not None else "no answer"
        url = _url_of(answer)
        where = f" at {host_of(url)}" if url else ""
        said = (
            f"LivePerson{where} still failed after {retries} ({what}). Try the sync "
            "again later: it resumes from the state saved."
        )
        if is_outage(answer):
            self._account().mark_down(url, said)
        raise AirbyteTracedException(
            message=said,
            internal_message=f"Gave up after {retries}: {answer!r}",
            failure_type=FailureType.transient_error,
        )


def _pauses() -> str:
    return ", ".join(f"{pause:.0f}" for pause in SERVER_PAUSES[:-1]) + f" and {SERVER_PAUSES[-1]:.0f}"


def _url_of(answer: requests.Response | requests.RequestException | None) -> str | None:
    request = getattr(answer, "request", None)
    return str(request.url) if request is not None and request.url else None


def _retry_after(response: requests.Response) -> float:
    try:
        return max(1.0, float(response.headers.get("Retry-After", 1)))
    except ValueError:
        return 1.0


def ask_patiently(
    account: LivePersonAccount, what: str, method: str, url: str, timeout: tuple[float, float], **send: Any
) -> requests.Response:
    """The answer to a request no stream sends (the Domain API, Sentinel), through the CDK's HTTP client with
    LivePerson's retry policy: 429, 5xx, timeouts and dropped connections retried as the streams' are, any other
    answer returned to be read; when the retries run out, a transient error naming the host (down for `account`)."""
    backoff = LivePersonBackoffStrategy(config={ACCOUNT: account}, parameters={})
    handler = DefaultErrorHandler(
        config={},
        parameters={},
        max_retries=RATE_LIMIT_RETRIES + 1,  # the backoff strategy gives up first, in LivePerson's words
        response_filters=[
            HttpResponseFilter(config={}, parameters={}, action=ResponseAction.IGNORE, http_codes={400, 401, 403, 404})
        ],
        backoff_strategies=[backoff],
    )
    quiet = logging.getLogger("airbyte.side_requests")
    quiet.setLevel(logging.INFO)  # the client logs answers in debug, and Sentinel's carry the access token
    client = HttpClient(
        name=what, logger=quiet, error_handler=handler, backoff_strategy=backoff, request_timeout=timeout
    )
    account.refuse_if_down(url)
    return client.send_request(method, url, request_kwargs={}, **send)[1]
