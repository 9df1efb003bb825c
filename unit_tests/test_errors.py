"""LivePerson's response codes and retry policy, on the components alone."""

from __future__ import annotations

import copy
import io
import json
from typing import Any

import pytest
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.models.declarative_component_schema import (
    CustomErrorHandler as CustomErrorHandlerModel,
)
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ResponseAction
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_interval_metrics.components.account import ACCOUNT, LivePersonAccount
from source_interval_metrics.components.error_handler import LivePersonBackoffStrategy, LivePersonErrorHandler
from source_interval_metrics.components.request import refused_metrics, requested_metrics
from source_interval_metrics.manifest import manifest

OAUTH2 = {"account_id": "123456", "credentials": {"auth_type": "oauth2"}}


def answer(
    status: int, body: Any = None, headers: dict[str, str] | None = None, raw: bytes | None = None
) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.raw = io.BytesIO(raw if raw is not None else json.dumps(body if body is not None else {}).encode())
    response.headers.update(headers or {})
    return response


def handler(config: dict[str, Any] = OAUTH2) -> LivePersonErrorHandler:
    """The error handler as the manifest assembles it: the component and the manifest's response filters."""
    definition = {**copy.deepcopy(manifest()["definitions"]["requester"]["error_handler"]), "$parameters": {}}
    built = ModelToComponentFactory().create_component(CustomErrorHandlerModel, definition, config)
    assert isinstance(built, LivePersonErrorHandler)
    return built


def interpret(response: requests.Response | Exception, config: dict[str, Any] = OAUTH2) -> tuple[Any, Any, str]:
    resolution = handler(config).interpret_response(response)
    return resolution.response_action, resolution.failure_type, resolution.error_message or ""


WINDOW_ASKED = "https://va.agentactivity.liveperson.net/api/account/123456/interval-metrics?from=2026-11-25T00:00:00Z&to=2026-11-25T00:59:59Z"


def for_the_window(response: requests.Response) -> requests.Response:
    response.request = requests.Request("GET", WINDOW_ASKED).prepare()
    return response


def test_an_empty_page_and_a_202_naming_an_unfinished_interval_in_the_window_are_successes() -> None:
    """The paginator reads the part of the window that is done."""
    assert interpret(answer(200, {"metadata": {"count": 0}, "intervals": []}))[0] == ResponseAction.SUCCESS
    unfinished = {"intervals": [{"from": "2026-11-25T00:45:00Z", "status": "In Progress"}]}
    assert interpret(for_the_window(answer(202, unfinished)))[0] == ResponseAction.SUCCESS


@pytest.mark.parametrize(
    "body",
    [
        b"Accepted",
        b'{"intervals": [{"status": "In Progress"}]}',
        b'{"intervals": [{"from": "2026-11-25T01:00:00Z", "status": "In Progress"}]}',  # at the window's end
    ],
)
def test_a_202_naming_nothing_unfinished_in_the_window_is_asked_again_three_times_then_let_by(body: bytes) -> None:
    """After LivePerson's three pauses the paginator leaves the window to the next sync; each request counts its own."""
    one = handler()
    first = for_the_window(answer(202, raw=body))
    actions = [one.interpret_response(first).response_action for _ in range(4)]
    assert actions == [ResponseAction.RETRY] * 3 + [ResponseAction.SUCCESS]
    assert "without naming an unfinished interval in it" in (
        one.interpret_response(for_the_window(answer(202, raw=body))).error_message or ""
    )


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"", "a body that is not a JSON object"),
        (b"<html>gateway</html>", "a body that is not a JSON object"),
        (b'{"metadata": {"count": 3}, "inter', "a body that is not a JSON object"),
        (b"[]", "a body that is not a JSON object"),
        (b"{}", "a body without an `intervals` array"),
        (b'{"metadata": {"count": 0}}', "a body without an `intervals` array"),
        (b'{"metadata": {}, "intervals": {"count": 0}}', "a body without an `intervals` array"),
        (b'{"intervals": [{"skillId": 1, "metrics": {}}]}', "an interval without a usable `timeframe.from`"),
        (
            b'{"intervals": [{"timeframe": {"to": "2026-11-25T00:15:00Z"}}]}',
            "an interval without a usable `timeframe.from`",
        ),
        (b'{"intervals": [{"timeframe": {"from": "yesterday"}}]}', "an interval without a usable `timeframe.from`"),
    ],
)
def test_a_200_that_is_not_a_page_of_intervals_is_retried_naming_what_is_missing(raw: bytes, problem: str) -> None:
    """Emitting nothing and moving the state on would lose data silently if LivePerson changed the answer's shape."""
    action, failure, message = interpret(answer(200, raw=raw))
    assert (action, failure) == (ResponseAction.RETRY, FailureType.transient_error)
    assert message == f"LivePerson answered HTTP 200 with {problem}."


def test_a_page_whose_times_are_milliseconds_only_is_a_page() -> None:
    body = {"intervals": [{"timeframe": {"fromL": 1795564800000, "toL": 1795565700000}, "metrics": {}}]}
    assert interpret(answer(200, body))[0] == ResponseAction.SUCCESS


@pytest.mark.parametrize("said", ["Invalid metric 'arrivals' for grouping 'agent'", "Bad Request", "Invalid pageKey"])
def test_every_400_is_let_by_for_the_requester_to_explain_or_raise(said: str) -> None:
    """The requester (AgentActivityRequester) owns a 400: it asks again to learn why, and raises what it cannot mend."""
    assert interpret(answer(400, {"message": said}))[0] == ResponseAction.IGNORE


def test_401_refreshes_the_token_then_says_what_the_application_needs() -> None:
    action, failure, message = interpret(answer(401, {"message": "token expired"}))
    assert (action, failure) == (ResponseAction.REFRESH_TOKEN_THEN_RETRY, FailureType.config_error)
    assert message.startswith("LivePerson did not accept the credentials (HTTP 401: token expired). Check the client")


def test_403_and_404_say_what_to_check() -> None:
    action, failure, message = interpret(answer(403, {"message": "Forbidden"}))
    assert (action, failure) == (ResponseAction.FAIL, FailureType.config_error)
    assert "account 123456" in message and "lp-agentactivity-app.wfm-nrt-interval-metrics" in message
    action, failure, message = interpret(answer(404, {"message": "not found"}))
    assert (action, failure) == (ResponseAction.FAIL, FailureType.config_error) and "Account ID" in message


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (429, ResponseAction.RATE_LIMITED),
        (500, ResponseAction.RETRY),
        (502, ResponseAction.RETRY),
        (503, ResponseAction.RETRY),
        (504, ResponseAction.RETRY),
    ],
)
def test_rate_limits_and_server_errors_are_retried(status: int, action: ResponseAction) -> None:
    assert interpret(answer(status))[:2] == (action, FailureType.transient_error)


@pytest.mark.parametrize("error", [requests.exceptions.ReadTimeout(), requests.exceptions.ConnectionError()])
def test_timeouts_and_dropped_connections_are_retried(error: Exception) -> None:
    assert interpret(error)[0] == ResponseAction.RETRY


# --- LivePersonBackoffStrategy: the CDK sleeps backoff + 1 s, so the component returns one second less ----------------


class Backoff(LivePersonBackoffStrategy):
    def backoff_time(self, response_or_exception: Any, attempt_count: int) -> float:
        wait = super().backoff_time(response_or_exception, attempt_count)
        assert wait is not None
        return wait


def backoff(account: LivePersonAccount | None = None) -> Backoff:
    """As the manifest builds it, in a sync whose streams share `account` (else a component of its own)."""
    return Backoff(config={**OAUTH2, ACCOUNT: account} if account else OAUTH2, parameters={})


def test_server_errors_pause_5_10_15_seconds_then_fail_quoting_the_api() -> None:
    failing = answer(503, {"message": "Service unavailable"})
    assert [backoff().backoff_time(failing, attempt) + 1 for attempt in (1, 2, 3)] == [5.0, 10.0, 15.0]
    with pytest.raises(AirbyteTracedException) as raised:
        backoff().backoff_time(failing, 4)
    assert raised.value.failure_type == FailureType.transient_error
    assert raised.value.message == (
        "LivePerson still failed after 3 retries, 5, 10 and 15 s apart (HTTP 503: Service unavailable). Try the sync "
        "again later: it resumes from the state saved."
    )


def test_timeouts_follow_the_server_error_pauses() -> None:
    assert backoff().backoff_time(requests.exceptions.ReadTimeout(), 2) + 1 == 10.0
    with pytest.raises(
        AirbyteTracedException, match=r"after 3 retries, 5, 10 and 15 s apart \(ReadTimeout: no answer in time\)"
    ):
        backoff().backoff_time(requests.exceptions.ReadTimeout(), 4)


def test_rate_limits_wait_retry_after_at_least_a_second_growing_to_a_minute() -> None:
    limited = answer(429)
    waits = [round(backoff().backoff_time(limited, attempt) + 1, 3) for attempt in range(1, 9)]
    assert waits == [1.001, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert backoff().backoff_time(answer(429, headers={"Retry-After": "7"}), 1) + 1 == 7.0
    with pytest.raises(AirbyteTracedException, match="after 8 retries, up to a minute apart"):
        backoff().backoff_time(limited, 9)


def test_a_backoff_is_never_zero_so_the_cdk_keeps_these_waits() -> None:
    assert backoff().backoff_time(answer(429, headers={"Retry-After": "0"}), 1) > 0


# --- a metric LivePerson refuses for the grouping: let by for the requester, which sends it again without it -------

SKILL_URL = (
    "https://va.agentactivity.liveperson.net/api/account/123456/interval-metrics?v=1"
    "&metrics=handleTime,workTime,arrivals,closedConversations&grouping=skill"
)


def asked(status: int, body: Any) -> requests.Response:
    response = answer(status, body)
    response.request = requests.Request("GET", SKILL_URL).prepare()
    return response


@pytest.mark.parametrize(
    "body",
    [
        {"message": "Invalid request", "causes": ["closedConversations is available only if grouping is conversation"]},
        {"message": "Invalid metric 'closedConversations' for grouping 'skill'; supported: handleTime, arrivals"},
        {"message": "Bad Request", "causes": [{"field": "metrics", "message": "closedConversations: wrong grouping"}]},
    ],
)
def test_a_400_refusing_a_metric_is_let_by_for_the_requester_untouched(body: dict[str, Any]) -> None:
    refusal = asked(400, body)
    assert handler().interpret_response(refusal).response_action == ResponseAction.IGNORE
    assert requested_metrics(refusal) == ("handleTime", "workTime", "arrivals", "closedConversations")


@pytest.mark.parametrize(
    "said",
    [
        "Invalid metrics: handleTime, workTime, arrivals, closedConversations",  # every metric: not a refusal of one
        "Invalid grouping 'skills'; supported: skill, agentGroup, agent, conversation",
        "Invalid intervalDuration 7; supported values are 15, 30, 60, 1440 for handleTime",
    ],
)
def test_a_400_that_refuses_no_single_metric_names_none(said: str) -> None:
    assert refused_metrics(asked(400, {"message": said})) == ()


def test_causes_may_come_as_one_string() -> None:
    handler = LivePersonErrorHandler(config=OAUTH2, parameters={"name": "skill_interval_metrics"})
    body = {"message": "Bad Request", "causes": "closedConversations is not available for grouping skill"}
    assert handler.interpret_response(asked(400, body)).response_action == ResponseAction.IGNORE


def test_once_a_request_has_used_up_its_retries_on_an_outage_the_host_is_down_for_every_other_request(
    pauses: list[float],
) -> None:
    """The next request to that host fails at once in the same words, without a retry; other hosts are asked."""
    failing = answer(503, {"message": "Service unavailable"})
    failing.request = requests.Request("GET", "https://va.agentactivity.liveperson.net/api/x").prepare()
    account = LivePersonAccount()  # the sync's, shared by its streams' components
    with pytest.raises(AirbyteTracedException) as first:
        backoff(account).backoff_time(failing, 4)
    with pytest.raises(AirbyteTracedException) as second:
        backoff(account).backoff_time(failing, 1)  # another request's first failure: no pause of its own
    assert second.value.message == first.value.message and "at va.agentactivity.liveperson.net" in str(first.value)
    with pytest.raises(AirbyteTracedException):
        account.refuse_if_down("https://va.agentactivity.liveperson.net/api/y")  # not even sent
    account.refuse_if_down("https://va.sentinel.liveperson.net/token")  # another host: asked
    refused = answer(429)
    refused.request = failing.request
    assert backoff(account).backoff_time(refused, 1) is not None  # a rate limit is not an outage
    assert backoff(LivePersonAccount()).backoff_time(failing, 1) == 4.0  # a new sync: the host is asked again
