"""HTTP client for OpenRouter's key-management API: auth, retries, paging, limits and errors."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import email.utils
import errno
import hashlib
import ipaddress
import json
import random
import re
import socket
import threading
import time
import traceback
from urllib.parse import urlsplit

from ansible_collections.openrouter.provisioning.plugins.module_utils.errors import ProvisioningError

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
    from urllib3.exceptions import NewConnectionError
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
    HTTPAdapter = HTTPConnection = HTTPSConnection = HTTPConnectionPool = HTTPSConnectionPool = object
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None

COLLECTION_VERSION = "0.1.0"
USER_AGENT = "openrouter.provisioning/%s (Ansible collection)" % COLLECTION_VERSION
DEFAULT_API_URL = "https://openrouter.ai/api/v1"
PAGE_SIZE = 100
RETRY_STATUSES = frozenset((429, 502, 503, 504))
BODY_EXCERPT = 200
# Far above any real account (100,000 keys), so only a server that never ends a listing reaches it.
MAX_PAGES = 1000
# An answer of the key API is a few kB; a bigger body is not OpenRouter's, and is not read into memory.
MAX_BODY_BYTES = 4 * 1024 * 1024
# First backoff step in seconds; each further try doubles it, up to BACKOFF_CAP.
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0

_SECRET_PATTERN = re.compile(r"sk-or-[A-Za-z0-9_-]*-[A-Za-z0-9_.-]+")
# C0 and C1 controls, line and paragraph separators and bidi overrides: an escape sequence or a newline in server text
# could otherwise forge lines of Ansible's output (a fake "ok:") or hide text.
_CONTROL = re.compile("[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]+")
CHECK_API_URL = "Check api_url: it must be the base URL of OpenRouter's API, %s." % DEFAULT_API_URL

HINTS = {
    400: "OpenRouter rejected the request as invalid; check the option values.",
    401: "The management key is missing or not valid; set management_key or OPENROUTER_MANAGEMENT_KEY to a valid "
    "management key.",
    403: "The key in use is not a management key; create a management key in OpenRouter's settings and use it as "
    "management_key.",
    404: "The record does not exist (it may have been deleted); check the hash or id given, or look it up by name.",
    409: "The key was changed by someone else at the same time; run the task again.",
    429: "OpenRouter is rate limiting these requests; raise retries or retry_max_time, or send fewer requests at once "
    "(for example lower forks).",
}
SERVER_ERROR_HINT = "OpenRouter had a server-side problem; try again later, or raise retries or retry_max_time."
# A path to one record (/keys/<hash>, /guardrails/<id>): there a 404 can mean the record is missing; elsewhere it means
# the base URL is wrong.
_RECORD_PATH = re.compile(r"^/[^/]+/[^/]+$")


def redact(text, secrets=()):
    """Remove every known secret and anything shaped like an OpenRouter key from text."""
    text = str(text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "********")
    return _SECRET_PATTERN.sub("sk-or-********", text)


def excerpt(text):
    """Server text fit for a message: control characters become spaces, and at most BODY_EXCERPT characters remain."""
    text = _CONTROL.sub(" ", str(text)).strip()
    return text[:BODY_EXCERPT] + "[...]" if len(text) > BODY_EXCERPT else text


def is_loopback(url):
    """True when the URL's host is this machine (localhost or a loopback address)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class OpenRouterError(ProvisioningError):
    """Any failure talking to OpenRouter, with a message that is safe to log."""

    def __init__(self, message, status=None, method=None, path=None, api_message=None, hint=None):
        self.message = message
        self.status = status
        self.method = method
        self.path = path
        self.api_message = api_message
        self.hint = hint
        self.tries = 1
        self.why_stopped = None
        super(OpenRouterError, self).__init__(self._compose())

    def gave_up(self, tries, why=None):
        """Record that retrying stopped after this many tries, and why if not simply out of retries."""
        self.tries = tries
        self.why_stopped = why
        self.args = (self._compose(),)
        return self

    def _compose(self):
        parts = [self.message]
        if self.why_stopped:
            parts.append(self.why_stopped)
        if self.tries > 1 or self.why_stopped:
            parts.append("(gave up after %d %s)" % (self.tries, "try" if self.tries == 1 else "tries"))
        if self.hint:
            parts.append(self.hint)
        return " ".join(parts)


class ResponseLost(OpenRouterError):
    """A request may have been applied by the server, but its response never arrived."""


def parse_retry_after(value, now=None):
    """Return the wait a Retry-After header asks for in seconds, or None if it has none we can read."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


# The Date of the latest answer any client of this process received: the server's clock, not ours. A create's answer
# can be lost, and a key found after it with the same name may be another's (keys.py): one created before this moment
# was there before the create was sent.
_SERVER_CLOCK = {}


def server_clock():
    """The Date header of the latest answer this process received, as an aware datetime, or None."""
    return _SERVER_CLOCK.get("date")


def _note_server_clock(value):
    try:
        moment = email.utils.parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        moment = None
    if moment is not None and moment.tzinfo is not None:
        _SERVER_CLOCK["date"] = moment


def backoff_delay(attempt, rand=random.random):
    """Jittered exponential backoff: half the step is fixed, the other half random, so clients spread out."""
    step = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** (attempt - 1)))
    return step / 2 + rand() * step / 2


# What one try came to. ANSWER carries (status, body); the others carry the failure to raise.
ANSWER, RETRYABLE, FATAL, LOST = "answer", "retryable", "fatal", "lost"
Outcome = collections.namedtuple("Outcome", "kind status body failure retry_after")


def answer(status, body):
    return Outcome(ANSWER, status, body, None, None)


def failed(failure, retryable=False, retry_after=None):
    """The outcome of a failed try: lost when the failure is a ResponseLost, else retryable or fatal as told."""
    kind = LOST if isinstance(failure, ResponseLost) else RETRYABLE if retryable else FATAL
    return Outcome(kind, failure.status, None, failure, retry_after)


def next_wait(outcome, attempt, elapsed, retries, retry_max_time, rand=random.random):
    """Decide what follows a failed try: (seconds to wait, None) to try again, or (None, why) to give up.

    why is None when the try is not one to repeat or the retries ran out, else a sentence on retry_max_time.
    """
    if outcome.kind != RETRYABLE or attempt > retries:
        return None, None
    wait = backoff_delay(attempt, rand) if outcome.retry_after is None else outcome.retry_after
    left = retry_max_time - elapsed
    if wait <= left:
        return wait, None
    if outcome.retry_after is None:
        return None, None
    return None, "OpenRouter asked to wait %gs (Retry-After), more than the %gs left of retry_max_time." % (
        wait,
        max(0.0, round(left, 1)),
    )


# The sockets the current thread's request is reading from, so its deadline can cut them off (see _send).
_WATCHED = threading.local()


class _Watched:
    """A connection that hands its socket to the deadline of the request in progress on this thread."""

    def getresponse(self, *args, **kwargs):
        watched = getattr(_WATCHED, "sockets", None)
        if watched is not None and self.sock is not None:
            watched.append(self.sock)
        return super(_Watched, self).getresponse(*args, **kwargs)


class _WatchedConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedPool(HTTPConnectionPool):
    ConnectionCls = _WatchedConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter on connections whose socket a request's deadline can shut down mid-read."""

    def init_poolmanager(self, *args, **kwargs):
        super(DeadlineAdapter, self).init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedPool, "https": _WatchedHTTPSPool}

    def proxy_manager_for(self, *args, **kwargs):
        manager = super(DeadlineAdapter, self).proxy_manager_for(*args, **kwargs)
        manager.pool_classes_by_scheme = {"http": _WatchedPool, "https": _WatchedHTTPSPool}
        return manager


class OpenRouterClient:
    """A requests session bound to one API URL and one management key."""

    def __init__(
        self,
        api_url,
        management_key,
        timeout=30.0,
        validate_certs=True,
        retries=5,
        retry_max_time=60.0,
        session=None,
        sleep=time.sleep,
        clock=time.monotonic,
        key_source=None,
    ):
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.retries = retries
        self.retry_max_time = retry_max_time
        # The environment variable the management key came from, named in a 401 or 403.
        self.key_source = key_source
        # Names the account (for the kept listings, listing_cache.py) without the key itself.
        self.key_fingerprint = hashlib.sha256(management_key.encode("utf-8", "surrogatepass")).hexdigest()
        self._secrets = [management_key]
        self._sleep = sleep
        self._clock = clock
        self._api_confirmed = False
        if session is None:
            session = requests.Session()
            for prefix in ("http://", "https://"):
                session.mount(prefix, DeadlineAdapter())
        self.session = session
        self.session.headers.update(
            {
                "Authorization": "Bearer %s" % management_key,
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
            }
        )

    def remember_secret(self, secret):
        """Keep a created key's secret out of every later error message."""
        self._secrets.append(secret)

    def pause(self, seconds):
        """Wait on the client's clock, which tests can replace, like the waits between retries."""
        self._sleep(seconds)

    def _error(self, message, cls=OpenRouterError, **kwargs):
        return cls(redact(message, self._secrets), **kwargs)

    def request(self, method, path, params=None, body=None):
        """Send one API request, retrying what is safe to retry, and return (status, decoded JSON body).

        urllib3's Retry can't bound the total time spent or report how many tries were made, and the error
        messages need both, so the retry loop is our own: _attempt classifies each try, next_wait decides what follows.
        """
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            outcome = self._attempt(method, path, params, body)
            if outcome.kind == ANSWER:
                return outcome.status, outcome.body
            wait, why = next_wait(outcome, attempt, self._clock() - started, self.retries, self.retry_max_time)
            if wait is None:
                if outcome.kind == RETRYABLE:
                    raise outcome.failure.gave_up(attempt, why)
                raise outcome.failure
            self._sleep(wait)

    def _attempt(self, method, path, params, body):
        """Send one try and classify what came of it: an answer, or a failure that is retryable, fatal or lost."""
        try:
            response, content = self._send(method, path, params, body)
        except requests.exceptions.RequestException as exc:
            lost = method == "POST" and not _never_sent(exc)
            # A certificate that fails verification fails again on every retry.
            return failed(
                self._transport_error(exc, method, path, lost),
                retryable=not isinstance(exc, requests.exceptions.SSLError),
            )
        except OpenRouterError as failure:
            return failed(failure)
        _note_server_clock(response.headers.get("Date"))
        if 300 <= response.status_code < 400:
            return failed(self._redirect_error(response, method, path))
        if response.status_code in RETRY_STATUSES:
            # A gateway error can hide a create that happened; the caller checks before creating again.
            lost = method == "POST" and response.status_code != 429
            failure = self._status_error(response, content, method, path, ResponseLost if lost else OpenRouterError)
            return failed(failure, retryable=True, retry_after=parse_retry_after(response.headers.get("Retry-After")))
        try:
            return answer(response.status_code, self._decode(response, content, method, path))
        except OpenRouterError as failure:
            return failed(failure)

    def _send(self, method, path, params, body):
        """One HTTP exchange, all of it within `timeout` seconds: return the response and its body (bytes).

        requests' timeout bounds each read, so a server trickling a byte at a time could hold a try forever; a timer
        shuts the connection's socket down at the deadline instead, which ends any read in progress.
        """
        watched = _WATCHED.sockets = []
        expired = threading.Event()

        def expire():
            expired.set()
            for sock in watched:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        timer = threading.Timer(self.timeout, expire)
        timer.daemon = True
        timer.start()
        try:
            response = self.session.request(
                method,
                self.api_url + path,
                params=params,
                json=body,
                timeout=self.timeout,
                verify=self.validate_certs,
                allow_redirects=False,
                stream=True,
            )
            with response:
                return response, self._read_body(response, method, path)
        except (requests.exceptions.RequestException, OSError) as exc:
            if expired.is_set():
                raise requests.exceptions.ReadTimeout("no complete answer within the deadline") from exc
            if isinstance(exc, requests.exceptions.RequestException):
                raise
            raise requests.exceptions.ConnectionError(exc) from exc
        finally:
            timer.cancel()
            _WATCHED.sockets = None

    def _read_body(self, response, method, path):
        chunks = []
        size = 0
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise self._error(
                    "%s %s answered HTTP %d with a body of more than %d bytes; stopped reading it."
                    % (method, path, response.status_code, MAX_BODY_BYTES),
                    cls=ResponseLost if method == "POST" else OpenRouterError,
                    status=response.status_code,
                    method=method,
                    path=path,
                    hint="OpenRouter's answers are a few kB. " + CHECK_API_URL,
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _transport_error(self, exc, method, path, lost):
        where = "%s %s" % (method, path)
        cause = _connection_failure(exc)
        host = urlsplit(self.api_url).netloc
        check = "Check api_url and the network or proxy between this host and OpenRouter."
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            message = "%s got no connection to %s within timeout=%ss." % (where, host, self.timeout)
            hint = "Check api_url and the network or firewall; raise the timeout option if the network is slow."
        elif isinstance(exc, requests.exceptions.Timeout):
            message = "%s got no response within timeout=%ss." % (where, self.timeout)
            hint = "Raise the timeout option if OpenRouter is slow, or check the network."
        elif isinstance(exc, requests.exceptions.SSLError):
            if _speaks_plain_http(exc):
                message = "%s: api_url %s starts with https://, but %s speaks plain HTTP, not TLS." % (
                    where,
                    self.api_url,
                    host,
                )
                hint = "Check the port in api_url, or use the https:// address of the API."
            else:
                message = "%s failed TLS verification: %s." % (where, excerpt(exc))
                hint = (
                    "Fix the certificate chain or the CA bundle (REQUESTS_CA_BUNDLE); validate_certs=false is unsafe."
                )
        elif cause == "resolve":
            message = "%s could not resolve the host name of %s." % (where, host)
            hint = "Check the host name in api_url, and this host's DNS."
        elif cause == "refused":
            message = "%s could not reach %s: the connection was refused (nothing listens on %s)." % (
                where,
                self.api_url,
                host,
            )
            hint = "Check the host and port in api_url."
        elif lost:
            message = "%s lost its connection to %s before the answer arrived: %s." % (
                where,
                self.api_url,
                type(exc).__name__,
            )
            hint = "Check the network or proxy between this host and OpenRouter."
        else:
            message = "%s could not reach %s: %s." % (where, self.api_url, type(exc).__name__)
            hint = check
        return self._error(message, cls=ResponseLost if lost else OpenRouterError, method=method, path=path, hint=hint)

    def _redirect_error(self, response, method, path):
        return self._error(
            "%s %s answered HTTP %d, a redirect to %r, which the client does not follow."
            % (method, path, response.status_code, excerpt(response.headers.get("Location", ""))),
            status=response.status_code,
            method=method,
            path=path,
            hint="%s is not the API's address. %s" % (self.api_url, CHECK_API_URL),
        )

    def _hint(self, status, path):
        if status in (404, 405) and not _RECORD_PATH.match(path):
            return "%s answered as no OpenRouter API does. %s" % (self.api_url, CHECK_API_URL)
        hint = HINTS.get(status, SERVER_ERROR_HINT if status >= 500 else None)
        if status in (401, 403) and self.key_source:
            return "The management key in use came from the environment variable %s. %s" % (self.key_source, hint)
        return hint

    def _status_error(self, response, content, method, path, cls=OpenRouterError):
        api_message = redact(_api_message(content), self._secrets)
        status = response.status_code
        message = "%s %s failed with HTTP %d: %s." % (method, path, status, api_message.rstrip("."))
        return self._error(
            message,
            cls=cls,
            status=status,
            method=method,
            path=path,
            api_message=api_message,
            hint=self._hint(status, path),
        )

    def _decode(self, response, content, method, path):
        if response.status_code >= 400:
            raise self._status_error(response, content, method, path)
        try:
            return _json(content)
        except ValueError:
            # A create that answered garbage did happen, but its secret is unreadable: the caller must clean up.
            raise self._error(
                "%s %s answered HTTP %d with a body that is not JSON: %r."
                % (method, path, response.status_code, excerpt(_text(content))),
                cls=ResponseLost if method == "POST" else OpenRouterError,
                status=response.status_code,
                method=method,
                path=path,
                hint="A proxy or gateway may be answering instead of OpenRouter. " + CHECK_API_URL,
            ) from None

    def _shape_error(self, method, path, what, answer_body, cls=OpenRouterError, hint=None):
        return self._error(
            "%s %s answered without %s; the answer starts %r." % (method, path, what, excerpt(answer_body)),
            cls=cls,
            method=method,
            path=path,
            hint=hint or "A proxy or gateway may be answering instead of OpenRouter. " + CHECK_API_URL,
        )

    def _data(self, method, path, params=None, body=None):
        """The request's answer's `data` record, checked to be a JSON object (a POST's lost otherwise)."""
        answer_body = self.request(method, path, params=params, body=body)[1]
        data = answer_body.get("data") if isinstance(answer_body, dict) else None
        if not isinstance(data, dict):
            raise self._shape_error(
                method, path, "a record in data", answer_body, cls=ResponseLost if method == "POST" else OpenRouterError
            )
        return data

    def list_records(self, path, params=None, identity="hash", paging=None):
        """Yield every record of a list, page after page, without repeating one.

        `paging` has query(offset), the page's query, and last(page, offset, answer), true on the last page, as the
        resource descriptions have; by default pages go by offset and a short page is the last. Whatever paging says, a
        page that adds no new record ends the list and MAX_PAGES bounds it, so no server can make it endless.
        """
        paging = paging or _OffsetPaging()
        seen = set()
        offset = 0
        for _page in range(MAX_PAGES):
            page, answer_body = self.get_page(path, identity, dict(params or {}, **paging.query(offset)))
            new = 0
            for record in page:
                # A record created while we page pushes older ones down one place; skip the repeat.
                if record[identity] not in seen:
                    seen.add(record[identity])
                    new += 1
                    yield record
            # A page with nothing new can only repeat itself: a server that ignores offset would never end.
            if not new or paging.last(page, offset, answer_body):
                return
            offset += len(page)
        raise self._error(
            "GET %s still answered full pages after %d pages (%d records); stopped listing."
            % (path, MAX_PAGES, len(seen)),
            method="GET",
            path=path,
            hint="No real account has that many: %s may not end its listings. %s" % (self.api_url, CHECK_API_URL),
        )

    def get_page(self, path, identity, params=None):
        """One GET of a list: (its records, checked to carry `identity`, and the whole answer, for what comes beside
        them)."""
        answer_body = self.request("GET", path, params=params)[1]
        page = answer_body.get("data") if isinstance(answer_body, dict) else None
        if not isinstance(page, list) or not all(
            isinstance(record, dict) and isinstance(record.get(identity), str) for record in page
        ):
            raise self._shape_error("GET", path, "a list of records with %s in data" % identity, answer_body)
        return page, answer_body

    def get_record(self, path):
        """Return the record at this path, or None if there is none (a 404 once api_url is known to be right)."""
        try:
            return self._data("GET", path)
        except OpenRouterError as exc:
            if exc.status == 404:
                self._confirm_api(exc)
                return None
            raise

    def create_record(self, path, body):
        return self._data("POST", path, body=body)

    def update_record(self, path, body):
        return self._data("PATCH", path, body=body)

    def delete_record(self, path, params=None):
        """Delete a record; return False if it was already gone (a 404, including after a retried DELETE)."""
        try:
            self.request("DELETE", path, params=params)
        except OpenRouterError as exc:
            if exc.status == 404:
                self._confirm_api(exc)
                return False
            raise
        return True

    def _confirm_api(self, failure):
        """Make sure a 404 means a missing record, not a wrong api_url, with one GET /key per client."""
        if self._api_confirmed:
            return
        try:
            self.current_key()
        except OpenRouterError as exc:
            # Out of retries on a rate limit or a server error says nothing about the URL.
            if exc.status in RETRY_STATUSES or (exc.status or 0) >= 500:
                raise
            raise self._error(
                "%s %s answered HTTP 404, and GET /key, which OpenRouter's API always answers, failed too (%s), so "
                "%s is not OpenRouter's API." % (failure.method, failure.path, exc.message.rstrip("."), self.api_url),
                method=failure.method,
                path=failure.path,
                hint=CHECK_API_URL,
            ) from exc

    def list_keys(self, include_disabled=True, include_expired=True, workspace_id=None):
        """Yield every key (see list_records)."""
        params = {
            "include_disabled": "true" if include_disabled else "false",
            "include_expired": "true" if include_expired else "false",
        }
        if workspace_id:
            params["workspace_id"] = workspace_id
        return self.list_records("/keys", params)

    def get_key(self, key_hash):
        """Return the key with this hash, or None if there is none."""
        return self.get_record("/keys/%s" % key_hash)

    def create_key(self, body):
        """Create a key and return (record, secret)."""
        answer_body = self.request("POST", "/keys", body=body)[1]
        data = answer_body.get("data") if isinstance(answer_body, dict) else None
        secret = answer_body.get("key") if isinstance(answer_body, dict) else None
        if not isinstance(secret, str) or not secret or not isinstance(data, dict):
            if isinstance(secret, str) and secret:
                self.remember_secret(secret)
            raise self._shape_error(
                "POST",
                "/keys",
                "the new key's record and secret",
                answer_body,
                cls=ResponseLost,
                hint="The key may exist without its secret; check the key list.",
            )
        self.remember_secret(secret)
        return data, secret

    def current_key(self):
        data = self._data("GET", "/key")
        self._api_confirmed = True
        return data


class _OffsetPaging:
    """OpenRouter's key list: pages of PAGE_SIZE asked for by offset alone; a short page is the last."""

    @staticmethod
    def query(offset):
        return {"offset": offset}

    @staticmethod
    def last(page, offset, answer_body):
        return len(page) < PAGE_SIZE


def _json(content):
    """Decode a JSON body; nesting too deep to decode is not an answer of OpenRouter's either."""
    try:
        return json.loads(content)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def _text(content):
    return content.decode("utf-8", "replace")


def _causes(exc):
    """The exception and every exception it was raised from or wraps (urllib3 nests them in args and reason)."""
    pending, seen = [exc], []
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or any(current is known for known in seen):
            continue
        seen.append(current)
        pending.extend([current.__cause__, current.__context__, getattr(current, "reason", None)] + list(current.args))
    return seen


def _connection_failure(exc):
    """'resolve' when the host name did not resolve, 'refused' when the port refused the connection, else None."""
    for cause in _causes(exc):
        if isinstance(cause, socket.gaierror) or type(cause).__name__ == "NameResolutionError":
            return "resolve"
        if isinstance(cause, ConnectionRefusedError) or getattr(cause, "errno", None) == errno.ECONNREFUSED:
            return "refused"
    return None


def _speaks_plain_http(exc):
    """True when a TLS handshake failed because the server answered in plain HTTP."""
    text = " ".join(str(cause) for cause in _causes(exc)).lower()
    return any(
        sign in text
        for sign in ("wrong_version_number", "wrong version number", "http_request", "record layer failure")
    )


def _never_sent(exc):
    """True when the connection itself failed, so the request cannot have reached the server."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    return any(isinstance(cause, NewConnectionError) for cause in _causes(exc))


def _api_message(content):
    """OpenRouter's own error message, or an excerpt of whatever else came back."""
    try:
        return excerpt(_json(content)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        text = excerpt(_text(content))
        return "no OpenRouter error message; the body starts %r" % text if text else "empty body"
