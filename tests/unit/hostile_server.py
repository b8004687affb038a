# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A hostile HTTP server for the client's tests: it answers what a test writes, byte by byte, at the pace it likes.

The emulator plays OpenRouter faithfully; this server plays what OpenRouter never does: endless pages, huge bodies,
answers trickled a byte at a time, redirects, escape sequences, odd JSON. Standard library only, on 127.0.0.1 only,
and bounded in time: every socket has a timeout, and the server stops by itself after `lifetime` seconds.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import json
import socket
import threading
import time
from urllib.parse import parse_qsl, urlsplit

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
