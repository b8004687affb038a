# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import requests
import responses
from urllib3.exceptions import NewConnectionError

from ansible_collections.openrouter.provisioning.plugins.module_utils.client import (
    ANSWER,
    FATAL,
    LOST,
    RETRYABLE,
    OpenRouterClient,
    OpenRouterError,
    Outcome,
    ResponseLost,
    backoff_delay,
    next_wait,
    parse_retry_after,
)
from ansible_collections.openrouter.provisioning.tests.unit.helpers import API, MANAGEMENT_KEY, galaxy_version

SECRET = "sk-or-v1-" + "ab" * 32


class FakeClock:
    """Time that only moves when the client sleeps, so retry tests are instant and exact."""

    def __init__(self):
        self.now = 0.0
        self.waits = []

    def sleep(self, seconds):
        self.waits.append(seconds)
        self.now += seconds

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def client(clock):
    return OpenRouterClient(
        API, MANAGEMENT_KEY, timeout=5, retries=5, retry_max_time=60, sleep=clock.sleep, clock=clock
    )


def record(number):
    return {"hash": "%064x" % number, "name": "key-%d" % number}


def error_body(status, message):
    return {"error": {"code": status, "message": message}}


@pytest.mark.parametrize("count, pages", [(0, 1), (1, 1), (100, 2), (101, 2), (250, 3)])
@responses.activate
def test_list_reads_every_page(client, count, pages):
    keys = [record(number) for number in range(count)]
    for page in range(pages):
        responses.get(
            API + "/keys",
            json={"data": keys[page * 100 : (page + 1) * 100]},
            match=[
                responses.matchers.query_param_matcher(
                    {"include_disabled": "true", "include_expired": "true", "offset": str(page * 100)}
                )
            ],
        )
    assert list(client.list_keys()) == keys
    assert len(responses.calls) == pages


@responses.activate
def test_list_passes_filters_and_skips_a_key_pushed_onto_the_next_page(client):
    first = [record(number) for number in range(100)]
    # A key created between the two requests pushes the oldest key of page one onto page two.
    responses.get(
        API + "/keys",
        json={"data": first},
        match=[
            responses.matchers.query_param_matcher(
                {"include_disabled": "false", "include_expired": "true", "offset": "0", "workspace_id": "ws"}
            )
        ],
    )
    responses.get(
        API + "/keys",
        json={"data": [first[-1], record(100)]},
        match=[
            responses.matchers.query_param_matcher(
                {"include_disabled": "false", "include_expired": "true", "offset": "100", "workspace_id": "ws"}
            )
        ],
    )
    assert list(client.list_keys(include_disabled=False, workspace_id="ws")) == first + [record(100)]


@responses.activate
def test_headers_carry_auth_and_user_agent(client):
    responses.get(API + "/key", json={"data": {"label": "x"}})
    assert client.current_key() == {"label": "x"}
    sent = responses.calls[0].request.headers
    assert sent["Authorization"] == "Bearer " + MANAGEMENT_KEY
    assert sent["User-Agent"] == "openrouter.provisioning/%s (Ansible collection)" % galaxy_version()


@responses.activate
def test_429_with_retry_after_twice_then_success(client, clock):
    for _attempt in range(2):
        responses.get(
            API + "/keys/" + "a" * 64,
            status=429,
            json=error_body(429, "Rate limit exceeded"),
            headers={"Retry-After": "1"},
        )
    responses.get(API + "/keys/" + "a" * 64, json={"data": record(1)})
    assert client.get_key("a" * 64) == record(1)
    assert clock.waits == [1.0, 1.0]
    assert len(responses.calls) == 3


@responses.activate
def test_503_until_retries_run_out_fails_clearly_within_the_bound(client, clock):
    responses.get(API + "/keys/" + "a" * 64, status=503, json=error_body(503, "Service Unavailable"))
    with pytest.raises(OpenRouterError) as caught:
        client.get_key("a" * 64)
    error = caught.value
    assert error.status == 503
    assert error.tries == 6
    assert len(responses.calls) == 6
    assert "GET /keys/%s failed with HTTP 503: Service Unavailable." % ("a" * 64) in str(error)
    assert "gave up after 6 tries" in str(error)
    assert "retries or retry_max_time" in str(error)
    assert clock.now <= 60


def test_backoff_is_jittered_and_capped():
    assert backoff_delay(1, rand=lambda: 0.0) == 0.25
    assert backoff_delay(1, rand=lambda: 1.0) == 0.5
    assert backoff_delay(3, rand=lambda: 0.5) == 1.5
    assert backoff_delay(20, rand=lambda: 1.0) == 8.0


@responses.activate
def test_total_retry_time_is_bounded(clock):
    client = OpenRouterClient(API, MANAGEMENT_KEY, retries=100, retry_max_time=10, sleep=clock.sleep, clock=clock)
    responses.get(API + "/key", status=502, json=error_body(502, "Bad Gateway"))
    with pytest.raises(OpenRouterError):
        client.current_key()
    assert clock.now <= 10
    assert len(responses.calls) > 3


@responses.activate
def test_a_retry_after_longer_than_the_bound_fails_at_once(client, clock):
    responses.get(API + "/key", status=429, json=error_body(429, "Rate limit exceeded"), headers={"Retry-After": "120"})
    with pytest.raises(OpenRouterError) as caught:
        client.current_key()
    assert clock.waits == []
    assert caught.value.status == 429
    assert "OpenRouter asked to wait 120s (Retry-After), more than the 60s left of retry_max_time." in str(caught.value)
    assert "(gave up after 1 try)" in str(caught.value)
    assert "rate limiting" in str(caught.value)


def test_retry_after_reads_seconds_and_dates():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Thu, 01 Jan 1970 00:00:10 GMT", now=4.0) == 6.0


@responses.activate
def test_connection_reset_on_get_is_retried(client, clock):
    responses.get(API + "/keys/" + "a" * 64, body=requests.exceptions.ConnectionError("Connection reset by peer"))
    responses.get(API + "/keys/" + "a" * 64, json={"data": record(2)})
    assert client.get_key("a" * 64) == record(2)
    assert len(responses.calls) == 2
    assert len(clock.waits) == 1


@responses.activate
def test_a_lost_post_is_not_sent_again(client):
    responses.post(API + "/keys", body=requests.exceptions.ConnectionError("Connection reset by peer"))
    with pytest.raises(ResponseLost) as caught:
        client.create_key({"name": "k"})
    assert len(responses.calls) == 1
    assert "POST /keys lost its connection to %s before the answer arrived" % API in str(caught.value)


@responses.activate
def test_a_post_that_timed_out_is_lost_and_names_the_timeout(client):
    responses.post(API + "/keys", body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(ResponseLost) as caught:
        client.create_key({"name": "k"})
    assert "timeout=5s" in str(caught.value)
    assert len(responses.calls) == 1


@responses.activate
def test_a_post_behind_a_gateway_error_is_lost_not_retried(client):
    responses.post(API + "/keys", status=504, body="<html>Gateway Timeout</html>")
    with pytest.raises(ResponseLost) as caught:
        client.create_key({"name": "k"})
    assert caught.value.status == 504
    assert str(caught.value).count(caught.value.hint) == 1
    assert len(responses.calls) == 1


@responses.activate
def test_a_post_that_never_connected_or_was_rate_limited_is_retried(client):
    refused = requests.exceptions.ConnectionError(
        type("MaxRetry", (Exception,), {"reason": NewConnectionError(None, "refused")})()
    )
    responses.post(API + "/keys", body=refused)
    responses.post(API + "/keys", status=429, json=error_body(429, "Rate limit exceeded"), headers={"Retry-After": "1"})
    responses.post(API + "/keys", status=201, json={"data": record(3), "key": SECRET})
    assert client.create_key({"name": "k"}) == (record(3), SECRET)
    assert len(responses.calls) == 3


@pytest.mark.parametrize(
    "status, message, hint",
    [
        (400, "Invalid request parameters", "check the option values"),
        (401, "User not found.", "OPENROUTER_MANAGEMENT_KEY"),
        (403, "Only management keys can perform this operation", "not a management key"),
        (404, "Resource not found", "does not exist"),
        (409, "Conflict", "at the same time"),
        (429, "Rate limit exceeded", "rate limiting"),
        (500, "Internal Server Error", "server-side problem"),
    ],
)
@responses.activate
def test_every_error_status_names_status_path_message_and_hint(status, message, hint):
    client = OpenRouterClient(API, MANAGEMENT_KEY, retries=0)
    responses.patch(API + "/keys/" + "b" * 64, status=status, json=error_body(status, message))
    with pytest.raises(OpenRouterError) as caught:
        client.update_record("/keys/" + "b" * 64, {"disabled": True})
    error = caught.value
    assert (error.status, error.method, error.path, error.api_message) == (
        status,
        "PATCH",
        "/keys/" + "b" * 64,
        message,
    )
    assert "PATCH /keys/%s failed with HTTP %d: %s." % ("b" * 64, status, message.rstrip(".")) in str(error)
    assert ".." not in str(error)
    assert hint in str(error)


@responses.activate
def test_a_proxy_html_502_is_described_not_a_traceback():
    client = OpenRouterClient(API, MANAGEMENT_KEY, retries=0)
    page = "<html><head><title>502 Bad Gateway</title></head><body>" + "x" * 500 + "</body></html>"
    responses.get(API + "/keys", status=502, body=page, content_type="text/html")
    with pytest.raises(OpenRouterError) as caught:
        list(client.list_keys())
    assert "HTTP 502" in str(caught.value)
    assert "<title>502 Bad Gateway</title>" in str(caught.value)
    assert "x" * 300 not in str(caught.value)


@responses.activate
def test_a_malformed_200_body_is_described(client):
    responses.get(API + "/key", body='{"data": [', content_type="application/json")
    with pytest.raises(OpenRouterError) as caught:
        client.current_key()
    assert "not JSON" in str(caught.value)
    assert '{"data": [' in str(caught.value)


@responses.activate
def test_delete_and_get_treat_404_as_absent(client):
    responses.delete(API + "/keys/" + "c" * 64, status=404, json=error_body(404, "Resource not found"))
    responses.get(API + "/keys/" + "c" * 64, status=404, json=error_body(404, "Resource not found"))
    responses.get(API + "/key", json={"data": {"label": "management"}})
    assert client.delete_record("/keys/" + "c" * 64) is False
    assert client.get_key("c" * 64) is None
    # One GET /key proves the base URL is OpenRouter's API before the first 404 counts as "missing", once per client.
    assert [call.request.path_url for call in responses.calls].count("/api/v1/key") == 1


@responses.activate
def test_no_secret_appears_in_any_error(client):
    echoed = "bad key %s and created %s" % (MANAGEMENT_KEY, SECRET)
    responses.post(API + "/keys", status=201, json={"data": record(4), "key": SECRET})
    responses.patch(API + "/keys/" + "d" * 64, status=400, json=error_body(400, echoed))
    responses.get(API + "/keys/" + "d" * 64, status=502, body="proxy saw Authorization: Bearer " + MANAGEMENT_KEY)
    client.create_key({"name": "k"})
    errors = []
    for call in (lambda: client.update_record("/keys/" + "d" * 64, {"name": "x"}), lambda: client.get_key("d" * 64)):
        with pytest.raises(OpenRouterError) as caught:
            call()
        errors.append(caught.value)
    for error in errors:
        for text in (str(error), repr(error), str(error.api_message)):
            assert MANAGEMENT_KEY not in text
            assert SECRET not in text


# --- answers of an unexpected shape (issue 12.4) -------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"data": None},
        {"data": "text"},
        {"data": [record(1)]},
        {"error": "no data"},
        "just a string",
    ],
    ids=["a list", "null data", "text data", "a list as data", "no data", "a string"],
)
@responses.activate
def test_a_record_of_the_wrong_shape_is_an_openrouter_error(client, body):
    for method in ("GET", "PATCH"):
        responses.add(method, API + "/keys/" + "e" * 64, json=body)
    responses.get(API + "/key", json=body)
    for call in (
        lambda: client.get_key("e" * 64),
        lambda: client.update_record("/keys/" + "e" * 64, {"name": "x"}),
        client.current_key,
    ):
        with pytest.raises(OpenRouterError) as caught:
            call()
        assert "answered without a record in data" in str(caught.value)
        assert "Check api_url" in str(caught.value)


@pytest.mark.parametrize(
    "body",
    [{"data": {"hash": "x"}}, {"data": ["text"]}, {"data": [{"name": "no hash"}]}, {"data": [{"hash": 7}]}, ["a"]],
)
@responses.activate
def test_a_list_of_the_wrong_shape_is_an_openrouter_error(client, body):
    responses.get(API + "/keys", json=body)
    with pytest.raises(OpenRouterError) as caught:
        list(client.list_keys())
    assert "GET /keys answered without a list of records with hash in data" in str(caught.value)


@pytest.mark.parametrize(
    "body",
    [{"data": record(5)}, {"key": SECRET}, {"key": 5, "data": record(5)}, {"key": "", "data": record(5)}, [SECRET]],
)
@responses.activate
def test_a_create_answer_of_the_wrong_shape_is_lost_and_keeps_its_secret_out(client, body):
    responses.post(API + "/keys", status=201, json=body)
    with pytest.raises(ResponseLost) as caught:
        client.create_key({"name": "k"})
    assert "POST /keys answered without the new key's record and secret" in str(caught.value)
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize("status", [200, 400, 502])
@responses.activate
def test_json_nested_too_deeply_is_an_openrouter_error_not_a_recursion_error(status):
    client = OpenRouterClient(API, MANAGEMENT_KEY, retries=0)
    responses.get(API + "/key", status=status, body="[" * 100000 + "]" * 100000, content_type="application/json")
    with pytest.raises(OpenRouterError) as caught:
        client.current_key()
    assert "HTTP %d" % status in str(caught.value)


# --- one try classified, then the next wait decided (issue 13, item 4) ---------------------------------------------


def attempt_of(client, method, **mock):
    with responses.RequestsMock() as http:
        http.add(method, API + "/keys", **mock)
        return client._attempt(method, "/keys", None, None)  # pylint: disable=protected-access


@pytest.mark.parametrize(
    "method, mock, kind, retry_after",
    [
        ("GET", dict(json={"data": []}), ANSWER, None),
        ("GET", dict(status=429, headers={"Retry-After": "7"}), RETRYABLE, 7.0),
        ("POST", dict(status=429), RETRYABLE, None),
        ("GET", dict(status=503), RETRYABLE, None),
        ("POST", dict(status=503), LOST, None),
        ("GET", dict(body=requests.exceptions.ConnectionError("reset")), RETRYABLE, None),
        ("POST", dict(body=requests.exceptions.ConnectionError("reset")), LOST, None),
        ("POST", dict(body=requests.exceptions.ReadTimeout("slow")), LOST, None),
        ("GET", dict(body=requests.exceptions.SSLError("certificate verify failed")), FATAL, None),
        ("GET", dict(status=400), FATAL, None),
        ("GET", dict(status=302, headers={"Location": "https://elsewhere"}), FATAL, None),
        ("GET", dict(body="<html>"), FATAL, None),
        ("POST", dict(body="<html>"), LOST, None),
    ],
)
def test_a_try_is_classified(client, method, mock, kind, retry_after):
    outcome = attempt_of(client, method, **mock)
    assert (outcome.kind, outcome.retry_after) == (kind, retry_after)
    assert (outcome.failure is None) == (kind == ANSWER)
    assert isinstance(outcome.failure, ResponseLost) == (kind == LOST)


def failure_outcome(kind, retry_after=None):
    return Outcome(kind, 503, None, OpenRouterError("x"), retry_after)


@pytest.mark.parametrize(
    "outcome, attempt, elapsed, expected",
    [
        (failure_outcome(RETRYABLE), 1, 0.0, (0.25, None)),
        (failure_outcome(RETRYABLE), 3, 0.0, (1.0, None)),
        (failure_outcome(RETRYABLE, retry_after=4.0), 1, 0.0, (4.0, None)),
        (failure_outcome(RETRYABLE), 6, 0.0, (None, None)),  # out of retries (5)
        (failure_outcome(RETRYABLE), 1, 59.9, (None, None)),  # the backoff would cross retry_max_time
        (
            failure_outcome(RETRYABLE, retry_after=30.0),
            1,
            40.0,
            (None, "OpenRouter asked to wait 30s (Retry-After), more than the 20s left of retry_max_time."),
        ),
        (failure_outcome(FATAL), 1, 0.0, (None, None)),
        (failure_outcome(LOST), 1, 0.0, (None, None)),
    ],
)
def test_the_next_wait_is_decided_from_the_outcome_alone(outcome, attempt, elapsed, expected):
    assert next_wait(outcome, attempt, elapsed, retries=5, retry_max_time=60.0, rand=lambda: 0.0) == expected


@responses.activate
def test_a_404_then_a_failing_get_key_for_a_server_error_is_that_error_not_a_wrong_url():
    client = OpenRouterClient(API, MANAGEMENT_KEY, retries=0)
    responses.get(API + "/keys/" + "c" * 64, status=404, json=error_body(404, "Resource not found"))
    responses.get(API + "/key", status=503, json=error_body(503, "Service Unavailable"))
    with pytest.raises(OpenRouterError) as caught:
        client.get_key("c" * 64)
    assert caught.value.status == 503 and "Check api_url" not in str(caught.value)


@responses.activate
def test_a_404_then_a_404_for_get_key_says_to_check_api_url(client):
    responses.get(API + "/keys/" + "c" * 64, status=404, json=error_body(404, "Resource not found"))
    responses.get(API + "/key", status=404, body="Not Found")
    with pytest.raises(OpenRouterError) as caught:
        client.get_key("c" * 64)
    assert "GET /keys/%s answered HTTP 404, and GET /key" % ("c" * 64) in str(caught.value)
    assert "so %s is not OpenRouter's API. Check api_url" % API in str(caught.value)
    assert caught.value.status is None


class LimitPaging:
    """Paging as a resource description gives it: offset and limit, and total_count to end the list."""

    @staticmethod
    def query(offset):
        return {"offset": str(offset), "limit": "2"}

    @staticmethod
    def last(page, offset, answer):
        return offset + len(page) >= answer["total_count"]


@responses.activate
def test_any_resource_lists_by_its_own_paging_and_identity(client):
    guardrails = [{"id": "g%d" % number} for number in range(5)]
    for offset in (0, 2, 4):
        responses.get(
            API + "/guardrails",
            json={"data": guardrails[offset : offset + 2], "total_count": 5},
            match=[responses.matchers.query_param_matcher({"offset": str(offset), "limit": "2"})],
        )
    assert list(client.list_records("/guardrails", identity="id", paging=LimitPaging())) == guardrails


@responses.activate
def test_any_record_path_gets_the_same_404_rule_and_shape_checks(client):
    responses.get(API + "/guardrails/g1", status=404, json=error_body(404, "Guardrail not found"))
    responses.get(API + "/key", json={"data": {"label": "management"}})
    responses.delete(API + "/guardrails/g2", status=404, json=error_body(404, "Guardrail not found"))
    responses.patch(API + "/guardrails/g3", json={"data": []})
    assert client.get_record("/guardrails/g1") is None
    assert client.delete_record("/guardrails/g2") is False
    with pytest.raises(OpenRouterError, match="PATCH /guardrails/g3 answered without a record in data"):
        client.update_record("/guardrails/g3", {"name": "x"})
    responses.post(API + "/guardrails", json={"id": "no data"})
    with pytest.raises(ResponseLost):
        client.create_record("/guardrails", {"name": "x"})


@pytest.mark.parametrize("body", [{"data": None}, {"data": [{"limit_usd": 5}]}, {"data": "text"}, ["a"]])
@responses.activate
def test_a_single_page_list_gets_the_same_shape_check_and_keeps_what_comes_beside_it(client, body):
    responses.get(API + "/workspaces/w1/budgets", json={"data": [{"id": "b1"}], "include_byok_in_budgets": True})
    assert client.get_page("/workspaces/w1/budgets", "id") == (
        [{"id": "b1"}],
        {"data": [{"id": "b1"}], "include_byok_in_budgets": True},
    )
    responses.get(API + "/workspaces/w2/budgets", json=body)
    with pytest.raises(OpenRouterError, match="GET /workspaces/w2/budgets answered without a list of records with id"):
        client.get_page("/workspaces/w2/budgets", "id")
