"""The simulator answers as the published method page says, so that tests against it mean something."""

from __future__ import annotations

import calendar
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from testkit.simulator import Settings, Simulator, routes
from testkit.simulator.data import rfc3339

HOUR = 3600


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(Settings(conversations_per_day=300)) as running:
        yield running


def token(sim: Simulator, secret: str | None = None) -> requests.Response:
    s = sim.settings
    return requests.post(
        f"{sim.url}/sentinel/api/v2/account/{s.account}/app/token",
        timeout=10,
        data={"client_id": s.client_id, "client_secret": secret or s.client_secret, "grant_type": "client_credentials"},
    )


def query(**overrides: Any) -> dict[str, Any]:
    day_ago = int(time.time()) // 900 * 900 - 24 * HOUR
    params = {
        "v": "1",
        "source": "tests",
        "handleTimeModel": "IFT",
        "metrics": "handleTime,arrivals",
        "grouping": "skill",
        "from": rfc3339(day_ago),
        "to": rfc3339(day_ago + 6 * HOUR),
        "pageSize": "500",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def bearer(sim: Simulator) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(sim).json()['access_token']}"}


def metrics(sim: Simulator, params: dict[str, Any], **kwargs: Any) -> requests.Response:
    headers = kwargs.pop("headers", None) if "headers" in kwargs else bearer(sim)
    url = f"{sim.url}/api/account/{sim.settings.account}/interval-metrics"
    return requests.get(url, params=params, headers=headers, timeout=10, **kwargs)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"v": None}, "Missing required parameter: v"),
        ({"v": "2"}, "Unsupported API version"),
        ({"source": "s" * 21}, "source must not exceed 20 characters"),
        ({"handleTimeModel": "XYZ"}, "Invalid handleTimeModel"),
        ({"grouping": "agent"}, "Invalid metric 'arrivals' for grouping 'agent'"),
        ({"intervalDuration": "20"}, "Invalid intervalDuration"),
        ({"pageSize": "501"}, "Invalid pageSize"),
        ({"fromL": "1", "toL": "2"}, "Exactly one pair"),
        ({"from": None, "to": None}, "Exactly one pair"),
        ({"from": rfc3339(int(time.time()) - 15 * 86400)}, "within the past two weeks"),
        ({"to": rfc3339(int(time.time()) + 86400)}, "must not exceed one day"),
    ],
)
def test_the_documented_validation_answers_400_with_a_message(
    sim: Simulator, change: dict[str, Any], message: str
) -> None:
    answer = metrics(sim, query(**change))
    assert answer.status_code == 400 and message in answer.json()["message"]


def test_an_answer_overlaps_the_window_like_the_docs_example(sim: Simulator) -> None:
    start = int(time.time()) // 86400 * 86400 - 12 * HOUR  # yesterday's busy noon: its first quarter has entries
    answer = metrics(sim, query(**{"from": rfc3339(start + 7 * 60), "to": rfc3339(start + 37 * 60)})).json()
    assert {entry["timeframe"]["from"] for entry in answer["intervals"]} <= {
        rfc3339(start),
        rfc3339(start + 900),
        rfc3339(start + 1800),
    }
    assert answer["intervals"][0]["timeframe"]["from"] == rfc3339(start)


@pytest.mark.parametrize("paging", ["nextPageKey", "refs"])
def test_pages_add_up_to_the_ground_truth_through_empty_pages(sim: Simulator, paging: str) -> None:
    sim.update(paging=paging, empty_page_every=2)
    params = query(grouping="conversation", metrics="handleTime", pageSize="7")
    entries, empty_pages = [], 0
    answer = metrics(sim, params).json()
    while True:
        entries += answer["intervals"]
        empty_pages += answer["metadata"]["count"] == 0
        page = answer["metadata"]["paging"]
        if "nextPageKey" in page:
            answer = metrics(sim, {**params, "pageKey": page["nextPageKey"]}).json()
        elif "next" in page.get("refs", {}):
            answer = requests.get(sim.url + page["refs"]["next"], headers=bearer(sim), timeout=10).json()
        else:
            break
    start, end = (calendar.timegm(time.strptime(params[k], "%Y-%m-%dT%H:%M:%SZ")) for k in ("from", "to"))
    truth = sim.entries("conversation", start, end)
    assert [(e["timeframe"]["from"], e["conversationId"]) for e in entries] == [
        (e["timeframe"]["from"], e["conversationId"]) for e in truth
    ]
    assert empty_pages > 0


def test_some_ids_come_as_strings(sim: Simulator) -> None:
    answer = metrics(sim, query(grouping="agent", metrics="handleTime")).json()
    assert {type(entry["agentId"]) for entry in answer["intervals"]} == {int, str}


def test_an_interval_still_in_progress_answers_202_with_statuses(sim: Simulator) -> None:
    sim.update(processing_delay=2 * HOUR)
    now = int(time.time()) // 900 * 900
    answer = metrics(sim, query(**{"from": rfc3339(now - 3 * HOUR), "to": rfc3339(now - 1)}))
    assert answer.status_code == 202
    statuses = [interval["status"] for interval in answer.json()["intervals"]]
    assert statuses[:4] == ["Done"] * 4 and statuses[-1] == "In Progress" and len(statuses) == 12


@pytest.mark.parametrize(
    ("reading", "first", "last"),
    [("overlap", "09:45", "11:45"), ("overlap_with_to", "09:45", "12:00"), ("touching", "09:45", "12:00")],
)
def test_each_reading_of_from_and_to_covers_its_intervals(sim: Simulator, reading: str, first: str, last: str) -> None:
    sim.update(timeframe_reading=reading)
    day = int(time.time()) // 86400 * 86400 - 86400
    answer = metrics(sim, query(**{"from": rfc3339(day + 10 * HOUR - 60), "to": rfc3339(day + 12 * HOUR)})).json()
    starts = sorted({entry["timeframe"]["from"][11:16] for entry in answer["intervals"]})
    assert (starts[0], starts[-1]) == (first, last)
    on_boundary = metrics(sim, query(**{"from": rfc3339(day + 10 * HOUR), "to": rfc3339(day + 11 * HOUR - 1)})).json()
    touching = "09:45" if reading == "touching" else "10:00"
    assert min(entry["timeframe"]["from"][11:16] for entry in on_boundary["intervals"]) == touching


@pytest.mark.parametrize(
    ("form", "keys", "words"),
    [
        ("documented", {"from", "fromL", "to", "toL", "status"}, {"Done", "In Progress"}),
        ("millis_only", {"fromL", "toL", "status"}, {"Done", "In Progress"}),
        ("other_words", {"from", "fromL", "to", "toL", "status"}, {"COMPLETED", "PROCESSING"}),
    ],
)
def test_a_202_comes_in_the_form_asked_for(sim: Simulator, form: str, keys: set[str], words: set[str]) -> None:
    sim.update(processing_delay=2 * HOUR, accepted_body=form)
    now = int(time.time()) // 900 * 900
    answer = metrics(sim, query(**{"from": rfc3339(now - 3 * HOUR), "to": rfc3339(now - 1)}))
    assert answer.status_code == 202
    assert {key for interval in answer.json()["intervals"] for key in interval} == keys
    assert {interval["status"] for interval in answer.json()["intervals"]} == words


def test_a_202_may_name_no_interval(sim: Simulator) -> None:
    sim.update(processing_delay=2 * HOUR, accepted_body="unusable")
    now = int(time.time()) // 900 * 900
    answer = metrics(sim, query(**{"from": rfc3339(now - 3 * HOUR), "to": rfc3339(now - 1)}))
    assert answer.status_code == 202 and "intervals" not in answer.json()


def test_skill_only_metrics_may_be_refused_for_the_skill_grouping_one_per_answer(sim: Simulator) -> None:
    assert metrics(sim, query(metrics="handleTime,arrivals,closedConversations")).status_code == 200
    sim.update(skill_metrics_refused=("arrivals", "closedConversations"))
    refused = metrics(sim, query(metrics="handleTime,arrivals,closedConversations"))
    assert refused.status_code == 400 and refused.json()["causes"] == [
        "arrivals is available only with a skillId filter"
    ]
    refused = metrics(sim, query(metrics="handleTime,closedConversations"))
    assert refused.json()["causes"] == ["closedConversations is available only with a skillId filter"]
    assert metrics(sim, query(metrics="handleTime")).status_code == 200


def test_some_200s_may_come_without_intervals_once_per_request(sim: Simulator) -> None:
    sim.update(pages_without_intervals=0.5)
    day_ago = int(time.time()) // 900 * 900 - 24 * HOUR
    asked = [query(to=rfc3339(day_ago + minutes * 60)) for minutes in range(15, 315, 15)]
    first = [metrics(sim, params).json() for params in asked]
    shapeless = [params for params, answer in zip(asked, first, strict=True) if "intervals" not in answer]
    assert 0 < len(shapeless) < len(asked) and all("metadata" in answer for answer in first)
    assert all("intervals" in metrics(sim, params).json() for params in shapeless)  # asked again: the page


@pytest.mark.parametrize("paging", ["nextPageKey", "refs"])
def test_an_empty_page_may_name_itself_before_it_moves_on(sim: Simulator, paging: str) -> None:
    sim.update(paging=paging, empty_first_page=True, self_linked_empty_pages=2)
    params = query(pageSize="7")
    names = [metrics(sim, params).json()["metadata"]["paging"] for _ in range(3)]
    if paging == "refs":
        offsets = [int(page["refs"]["next"].split("offset=")[1].split("&")[0]) for page in names]
        assert offsets == [0, 0, 7]
    else:
        assert names[0]["nextPageKey"] == names[1]["nextPageKey"] != names[2]["nextPageKey"]


@pytest.mark.parametrize(
    ("form", "cause"),
    [
        ("duration", "from: within 20 hours"),
        ("time", "from must not be before 20"),
        ("unsaid", "from is outside the data retention period"),
    ],
)
def test_a_history_shorter_than_fourteen_days_refuses_an_older_from_naming_its_limit(
    sim: Simulator, form: str, cause: str
) -> None:
    sim.update(history_hours=20, history_refusal=form)
    refused = metrics(sim, query())  # from a day ago
    assert refused.status_code == 400 and refused.json()["causes"][0].startswith(cause)
    recent = int(time.time()) // 900 * 900 - 19 * HOUR
    assert metrics(sim, query(**{"from": rfc3339(recent), "to": rfc3339(recent + HOUR)})).status_code == 200


def test_faults_come_in_the_order_asked_for(sim: Simulator) -> None:
    sim.update(fault_sequence=[429, 503, 500])
    first, second, third, fourth = (metrics(sim, query()) for _ in range(4))
    assert (first.status_code, first.headers["Retry-After"]) == (429, "1")
    assert (second.status_code, third.status_code, fourth.status_code) == (503, 500, 200)


def test_tokens_are_checked_and_expire(sim: Simulator) -> None:
    assert token(sim, secret="wrong").status_code == 401
    assert metrics(sim, query(), headers={}).status_code == 401
    assert metrics(sim, query(), headers={"Authorization": "Bearer made-up"}).status_code == 401
    sim.update(token_ttl=0)
    assert metrics(sim, query()).json()["message"] == "Unauthorized: token expired"


def test_oauth1_signatures_are_refused_as_ended(sim: Simulator) -> None:
    url = f"{sim.url}/api/account/{sim.settings.account}/interval-metrics"
    signed = {"Authorization": 'OAuth oauth_consumer_key="app-key-1", oauth_signature_method="HMAC-SHA1"'}
    answer = requests.get(url, params=query(), headers=signed, timeout=10)
    assert answer.status_code == 401 and "end of life" in answer.json()["message"]


def test_the_domain_api_knows_the_account_and_its_services(sim: Simulator) -> None:
    base = f"{sim.url}/api/account"
    found = requests.get(f"{base}/{sim.settings.account}/service/sentinel/baseURI.json", timeout=10).json()
    assert found == {"service": "sentinel", "account": sim.settings.account, "baseURI": sim.host}
    assert requests.get(f"{base}/999/service/sentinel/baseURI.json", timeout=10).status_code == 404
    sim.update(services=("sentinel",))
    assert (
        requests.get(f"{base}/{sim.settings.account}/service/agentActivityDomain/baseURI.json", timeout=10).status_code
        == 404
    )


def test_a_request_counts_as_under_way_until_it_is_answered_or_its_handler_fails(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`most_under_way` holds the connector to `num_workers`: a failed handler must not leave a request counted."""
    url = f"{sim.url}/api/account/{sim.settings.account}/interval-metrics"
    assert requests.get(url, params=query(), timeout=10).status_code == 401  # unsigned: answered, no longer under way
    with monkeypatch.context() as patched:
        patched.setattr(routes.Routes, "_interval_metrics", lambda self, account: 1 / 0)
        with pytest.raises(requests.ConnectionError):
            requests.get(url, params=query(), timeout=10)
    assert requests.get(url, params=query(), timeout=10).status_code == 401
    assert sim.stats["most_under_way"] == 1  # one at a time: none left counted by the answer or the failure


def test_the_two_methods_are_one_world_no_work_outside_the_time_online(sim: Simulator) -> None:
    """Every agent's work time in an interval fits in the time their status changes say they were Online in it, and
    handle time in work time: a join of the two methods (occupancy, time in state) is never asked to believe both a
    logout and work. Derived here from the changes the API serves, not from the simulator's own bookkeeping."""
    end = int(time.time()) // 86400 * 86400
    start = end - 3 * 86400
    changes = sim.status_changes((start - 86400) * 1000, (end + 86400) * 1000)
    online: dict[tuple[int, int], float] = {}
    by_agent: dict[int, list[dict[str, Any]]] = {}
    for change in changes:
        by_agent.setdefault(change["agentId"], []).append(change)
    for agent_id, own in by_agent.items():
        for change, after in zip(own, own[1:], strict=False):
            if (change["statusType"], change["statusSubType"]) != (1, 2):
                continue
            since, until = seconds(change["time"]), seconds(after["time"])
            while since < until:
                quarter = since - since % 900
                piece = min(until, quarter + 900) - since
                online[(agent_id, int(quarter))] = online.get((agent_id, int(quarter)), 0.0) + piece
                since += piece
    entries = sim.entries("agent", start, end)
    assert len(entries) > 500
    for entry in entries:
        key = (entry["agentId"], calendar.timegm(time.strptime(entry["timeframe"]["from"], "%Y-%m-%dT%H:%M:%SZ")))
        metrics = entry["metrics"]
        assert 0 < metrics["workTime"] <= online.get(key, 0.0), (key, metrics, online.get(key))
        assert metrics["handleTime"] <= metrics["workTime"]


def seconds(text: str) -> float:
    return calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")) + int(text[20:23]) / 1000
