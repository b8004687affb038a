# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client against servers that misbehave as OpenRouter never should: nothing they do may hold a run forever,
fill its memory, forge its output or read as success. Each test is bounded by the hostile server's own lifetime."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import socket
import time

import pytest

from ansible_collections.openrouter.provisioning.plugins.module_utils import client as client_module
from ansible_collections.openrouter.provisioning.plugins.module_utils.client import (
    BODY_EXCERPT,
    MAX_BODY_BYTES,
    MAX_PAGES,
    OpenRouterClient,
    OpenRouterError,
    ResponseLost,
)
from ansible_collections.openrouter.provisioning.plugins.modules.openrouter_key import main as key_main
from ansible_collections.openrouter.provisioning.plugins.modules.openrouter_key_info import main as info_main
from ansible_collections.openrouter.provisioning.tests.unit.helpers import (
    MANAGEMENT_KEY,
    HostileServer,
    ModuleExit,
    patch_module_args,
    reply,
)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
HASH = "ab" * 32


def record(number):
    return {"hash": "%064x" % number, "name": "key-%d" % number}


def client_for(url, **options):
    settings = dict(timeout=2.0, retries=0, retry_max_time=5.0)
    settings.update(options)
    return OpenRouterClient(url, MANAGEMENT_KEY, **settings)


# --- paging that never ends (issue 12.5) ---------------------------------------------------------------------------


def test_a_server_repeating_one_full_page_forever_ends_the_listing():
    page = [record(number) for number in range(100)]
    with HostileServer(lambda request: reply(200, {"data": page})) as server:
        assert list(client_for(server.url).list_keys()) == page
    # The second page added nothing new, so it is the last one read.
    assert [request.query["offset"] for request in server.requests] == ["0", "100"]


def test_a_server_with_endless_new_pages_stops_at_the_page_cap(monkeypatch):
    monkeypatch.setattr(client_module, "MAX_PAGES", 5)

    def endless(request):
        offset = int(request.query["offset"])
        return reply(200, {"data": [record(offset + number) for number in range(100)]})

    with HostileServer(endless) as server:
        with pytest.raises(OpenRouterError) as caught:
            list(client_for(server.url).list_keys())
    assert len(server.requests) == 5
    assert "GET /keys still answered full pages after 5 pages (500 records); stopped listing." in str(caught.value)
    assert "Check api_url" in str(caught.value)


def test_the_page_cap_is_far_above_any_real_account_and_documented():
    assert MAX_PAGES * 100 >= 100000
    with open(os.path.join(ROOT, "docs", "reliability.md")) as handle:
        assert "%d pages" % MAX_PAGES in handle.read()


def test_offset_advances_by_the_records_received():
    def oversized(request):
        offset = int(request.query["offset"])
        count = 150 if offset == 0 else 10
        return reply(200, {"data": [record(offset + number) for number in range(count)]})

    with HostileServer(oversized) as server:
        assert len(list(client_for(server.url).list_keys())) == 160
    assert [request.query["offset"] for request in server.requests] == ["0", "150"]


# --- bodies without end (issue 12.6) -------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_huge_body_is_cut_off_with_a_clear_error(method):
    size = MAX_BODY_BYTES * 4
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % size
    with HostileServer(lambda request: [head] + [b" " * 65536] * (size // 65536)) as server:
        client = client_for(server.url)
        with pytest.raises(ResponseLost if method == "POST" else OpenRouterError) as caught:
            client.create_key({"name": "k"}) if method == "POST" else client.current_key()
    assert "with a body of more than %d bytes; stopped reading it." % MAX_BODY_BYTES in str(caught.value)
    assert "Check api_url" in str(caught.value)


# --- a server that trickles (issue 12.7) ---------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["headers", "body"])
def test_a_trickled_answer_ends_at_the_timeout_deadline(where):
    answer = reply(200, {"data": {"label": "x" * 400}})
    split = 5 if where == "headers" else answer.index(b"\r\n\r\n") + 4
    # One byte every 0.1 s: each read succeeds well within timeout, so only an overall deadline ends a try.
    pieces = [answer[:split]] + [answer[index : index + 1] for index in range(split, len(answer))]
    with HostileServer(lambda request: pieces, pause=0.1) as server:
        client = client_for(server.url, timeout=0.5, retries=1)
        started = time.monotonic()
        with pytest.raises(OpenRouterError) as caught:
            client.current_key()
        elapsed = time.monotonic() - started
    assert "GET /key got no response within timeout=0.5s." in str(caught.value)
    assert "(gave up after 2 tries)" in str(caught.value)
    # Two tries of 0.5 s and one backoff of at most 0.5 s: 1.5 s, and room for a loaded machine. A timeout per read
    # alone would take the whole trickle, over 40 s.
    assert elapsed < 10


def test_a_trickled_create_is_lost_not_sent_again():
    pieces = [b"H", b"T", b"T", b"P"] * 50
    with HostileServer(lambda request: pieces, pause=0.1) as server:
        with pytest.raises(ResponseLost):
            client_for(server.url, timeout=0.5, retries=3).create_key({"name": "k"})
    assert len(server.requests) == 1


# --- redirects (issue 12.8) ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_not_followed_and_names_api_url(status):
    def redirect(request):
        return reply(status, b"", headers={"Location": "https://elsewhere.example/steal"})

    with HostileServer(redirect) as server:
        with pytest.raises(OpenRouterError) as caught:
            list(client_for(server.url).list_keys())
    assert len(server.requests) == 1
    message = str(caught.value)
    assert "GET /keys answered HTTP %d, a redirect to 'https://elsewhere.example/steal'" % status in message
    assert "%s is not the API's address. Check api_url" % server.url in message


# --- server text in messages (issue 12.9) --------------------------------------------------------------------------


@pytest.mark.parametrize("json_body", [True, False])
def test_server_text_is_stripped_of_control_characters_and_cut(json_body):
    forged = '\x1b[2K\r\nok: [localhost] => {"changed": false}\n\x07' + "y" * 500
    body = {"error": {"code": 400, "message": forged}} if json_body else forged.encode("utf-8")
    with HostileServer(lambda request: reply(400, body)) as server:
        with pytest.raises(OpenRouterError) as caught:
            client_for(server.url).current_key()
    message = str(caught.value)
    assert not any(ord(character) < 32 or 127 <= ord(character) < 160 for character in message)
    assert "ok: [localhost]" in message and "y" * 100 + "[...]" in message
    assert "y" * BODY_EXCERPT not in message


def test_a_redirect_location_is_cleaned_too():
    with HostileServer(lambda request: reply(302, headers={"Location": "/x\x1b[31m" + "z" * 500})) as server:
        with pytest.raises(OpenRouterError) as caught:
            client_for(server.url).current_key()
    assert "\x1b" not in str(caught.value) and "z" * BODY_EXCERPT not in str(caught.value)


# --- a wrong api_url must not read as success (issue 10.2) ---------------------------------------------------------


def not_found(request):
    return reply(404, {"error": {"code": 404, "message": "Not Found"}})


def test_absent_by_hash_at_a_wrong_api_url_fails_naming_api_url(run):
    with HostileServer(not_found) as server:
        result = run(key_main, api_url=server.url, hash=HASH, state="absent")
    assert result["failed"]
    assert "GET /keys/%s answered HTTP 404, and GET /key" % HASH in result["msg"]
    assert "%s is not OpenRouter's API. Check api_url" % server.url in result["msg"]
    assert [request.path for request in server.requests] == ["/api/v1/keys/" + HASH, "/api/v1/key"]


def test_info_by_hash_at_a_wrong_api_url_fails_instead_of_an_empty_list(run):
    with HostileServer(not_found) as server:
        result = run(info_main, api_url=server.url, hash=HASH)
    assert result["failed"] and "api_keys" not in result
    assert "Check api_url" in result["msg"]


def test_a_404_on_the_list_says_to_check_api_url_not_hash(run):
    with HostileServer(not_found) as server:
        result = run(info_main, api_url=server.url)
    assert result["failed"]
    assert "GET /keys failed with HTTP 404" in result["msg"] and "Check api_url" in result["msg"]
    assert "check hash" not in result["msg"]


def test_a_wrong_version_in_api_url_is_caught_against_the_emulator(run, api_url, control):
    # The emulator is OpenRouter's API at /api/v1; at /api/v2 it answers 404 to everything, as a wrong URL would.
    wrong = api_url.replace("/api/v1", "/api/v2")
    assert run(key_main, api_url=wrong, hash=HASH, state="absent")["failed"]
    assert run(info_main, api_url=api_url, hash=HASH) == {"changed": False, "failed": False, "api_keys": []}


# --- messages that say what went wrong (issue 10.3) ----------------------------------------------------------------


@pytest.mark.parametrize("variable", ["OPENROUTER_MANAGEMENT_KEY", "OPENROUTER_API_KEY"])
def test_a_401_names_the_environment_variable_the_key_came_from(run, api_url, control, monkeypatch, variable):
    for name in ("OPENROUTER_MANAGEMENT_KEY", "OPENROUTER_PROVISIONING_KEY", "OPENROUTER_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, "sk-or-v1-a-stale-inference-key")
    # No management_key option at all, so Ansible's fallback reads the variable (run() always passes one).
    with patch_module_args({"api_url": api_url}):
        with pytest.raises(ModuleExit) as caught:
            info_main()
    result = caught.value.result
    assert result["failed"] and "HTTP 401" in result["msg"]
    assert "The management key in use came from the environment variable %s." % variable in result["msg"]
    assert "stale-inference" not in result["msg"]


def test_a_401_with_the_key_given_as_an_option_names_no_variable(run, api_url, control, monkeypatch):
    monkeypatch.delenv("OPENROUTER_MANAGEMENT_KEY", raising=False)
    result = run(info_main, api_url=api_url, management_key="sk-or-v1-wrong")
    assert result["failed"] and "HTTP 401" in result["msg"] and "environment variable OPENROUTER" not in result["msg"]


def test_a_host_name_that_does_not_resolve_says_so(monkeypatch):
    def no_such_host(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    with pytest.raises(OpenRouterError) as caught:
        client_for("https://openrouter.invalid/api/v1").current_key()
    assert "GET /key could not resolve the host name of openrouter.invalid." in str(caught.value)
    assert "Check the host name in api_url" in str(caught.value)


def test_a_refused_connection_says_so():
    with socket.socket() as port:
        port.bind(("127.0.0.1", 0))
        url = "http://127.0.0.1:%d/api/v1" % port.getsockname()[1]
        with pytest.raises(OpenRouterError) as caught:
            client_for(url).current_key()
    assert "the connection was refused (nothing listens on 127.0.0.1:" in str(caught.value)


def test_https_to_a_plain_http_port_says_the_port_speaks_plain_http(api_url):
    url = api_url.replace("http://", "https://")
    with pytest.raises(OpenRouterError) as caught:
        client_for(url, retries=3).current_key()
    message = str(caught.value)
    assert "api_url %s starts with https://, but 127.0.0.1:" % url in message
    assert "speaks plain HTTP, not TLS" in message
    assert "certificate" not in message and "gave up" not in message
