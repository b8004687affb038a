# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Constants and helper functions shared by the unit tests; the fixtures built on them live in conftest.py.

Test modules import from here, never from a conftest or from another test module.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import contextlib
import json
import os
import socket
import threading
import time
from urllib.parse import parse_qsl, urlsplit

import yaml
from ansible.module_utils import basic

from ansible_collections.openrouter.provisioning.tests.emulator.openrouter_emulator import Emulator, EmulatorServer

try:
    from ansible.module_utils.testing import patch_module_args  # pylint: disable=unused-import  # for the tests
except ImportError:  # ansible-core < 2.19 reads the arguments from basic._ANSIBLE_ARGS

    @contextlib.contextmanager
    def patch_module_args(args):
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode("utf-8")
        yield


API = "http://127.0.0.1:9/api/v1"  # mocked with `responses`; nothing listens on port 9
MANAGEMENT_KEY = "sk-or-v1-unit-test-management-key-0123456789"
LIST = "/keys?include_disabled=true&include_expired=true&offset=%d"
SECRET = "sk-or-v1-" + "5e" * 32
COLLECTION_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


class ModuleExit(Exception):
    """What the `run` fixture turns a module's exit_json and fail_json into."""

    def __init__(self, result, failed):
        super(ModuleExit, self).__init__(result)
        self.result = dict(result, failed=failed)


def start_emulator(ssl_context=None):
    """The emulator on a free loopback port in a daemon thread, with MANAGEMENT_KEY; stop it with stop_emulator().

    With an ssl_context it speaks only TLS (its base_url still says http; swap the scheme).
    """
    server = EmulatorServer(("127.0.0.1", 0), Emulator(MANAGEMENT_KEY))
    if ssl_context is not None:
        server.socket = ssl_context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, name="openrouter-emulator", daemon=True).start()
    return server


def stop_emulator(server):
    server.shutdown()
    server.server_close()


def galaxy_version():
    """The collection's version, as galaxy.yml gives it."""
    with open(os.path.join(COLLECTION_ROOT, "galaxy.yml")) as handle:
        return yaml.safe_load(handle)["version"]


def sent(http):
    """The requests the module sent to API through `responses`, as (method, path with query, JSON body)."""
    calls = []
    for call in http.calls:
        body = json.loads(call.request.body) if call.request.body else None
        calls.append((call.request.method, call.request.url[len(API) :], body))
    return calls


def key(number, **fields):
    """A key's record as the API lists it, numbered for a distinct hash, name and label."""
    record = {
        "hash": "%064x" % number,
        "name": "key-%d" % number,
        "label": "sk-or-v1-abc...%04d" % number,
        "disabled": False,
        "limit": None,
        "limit_remaining": None,
        "limit_reset": None,
        "include_byok_in_limit": False,
        "usage": 0.0,
        "expires_at": None,
        "creator_user_id": None,
        "workspace_id": "ws-default",
        "created_at": "2026-11-01T00:00:00Z",
        "updated_at": None,
    }
    record.update(fields)
    return record


def listing(http, *pages):
    """Mock the key listing a name lookup reads: these pages, at offsets 0, 100, ..."""
    from responses.matchers import query_param_matcher

    for offset, page in enumerate(pages):
        query = {"include_disabled": "true", "include_expired": "true", "offset": str(offset * 100)}
        http.get(API + "/keys", json={"data": page}, match=[query_param_matcher(query)])


# --- a hostile HTTP server -----------------------------------------------------------------------------------
# The emulator plays OpenRouter faithfully; this server plays what OpenRouter never does: endless pages, huge bodies,
# answers trickled a byte at a time, redirects, escape sequences, odd JSON. On 127.0.0.1 only, and bounded in time:
# every socket has a timeout, and the server stops by itself after `lifetime` seconds.

Request = collections.namedtuple("Request", "method path query headers body")


def reply(status, body=b"", headers=None, reason="Hostile"):
    """The bytes of a whole HTTP/1.1 answer; a dict or list body is sent as JSON."""
    if not isinstance(body, bytes):
        body = json.dumps(body).encode("utf-8")
    head = ["HTTP/1.1 %d %s" % (status, reason), "Content-Length: %d" % len(body)]
    if not any(name.lower() == "content-type" for name in headers or {}):
        head.append("Content-Type: application/json")
    head += ["%s: %s" % item for item in (headers or {}).items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


class HostileServer:
    """Serve `answer(request)` on a free loopback port until the block ends or `lifetime` runs out.

    answer returns the bytes to send, or an iterable of byte strings (sent one after another, `pause` seconds apart,
    for trickling). Every request received is kept in `requests`, in order.
    """

    def __init__(self, answer, pause=0.0, lifetime=20.0):
        self.answer = answer
        self.pause = pause
        self.requests = []
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self._deadline = time.monotonic() + lifetime
        self.url = "http://127.0.0.1:%d/api/v1" % self._listener.getsockname()[1]

    def __enter__(self):
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()

    def _running(self):
        return not self._stop.is_set() and time.monotonic() < self._deadline

    def _serve(self):
        with self._listener:
            while self._running():
                try:
                    connection = self._listener.accept()[0]
                except socket.timeout:
                    continue
                threading.Thread(target=self._talk, args=(connection,), daemon=True).start()

    def _talk(self, connection):
        connection.settimeout(2.0)
        with connection, connection.makefile("rb") as reader:
            try:
                while self._running():
                    request = self._read(reader)
                    if request is None:
                        return
                    self.requests.append(request)
                    answer = self.answer(request)
                    for piece in [answer] if isinstance(answer, bytes) else answer:
                        if not self._running():
                            return
                        connection.sendall(piece)
                        time.sleep(self.pause)
            except OSError:
                return

    @staticmethod
    def _read(reader):
        line = reader.readline(65536).decode("latin-1").strip()
        if not line:
            return None
        method, target = line.split(" ")[:2]
        headers = {}
        for header in iter(lambda: reader.readline(65536).decode("latin-1").strip(), ""):
            name, dummy, value = header.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = reader.read(int(headers.get("content-length", 0)))
        parts = urlsplit(target)
        return Request(method, parts.path, dict(parse_qsl(parts.query)), headers, body)


# A created key "svc" (the second of key()), for the secret file tests.
HASH = "%064x" % 2


def created(http, number=2, **fields):
    """Answer the next POST /keys with key(number) named svc and SECRET."""
    http.post(API + "/keys", status=201, json={"data": key(number, name="svc", **fields), "key": SECRET})


def read(path):
    with open(path) as handle:
        return handle.read()
