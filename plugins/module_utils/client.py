# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP client for OpenRouter's key-management API: auth, retries, paging and errors."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import email.utils
import random
import re
import time
import traceback

from ansible_collections.openrouter.provisioning.plugins.module_utils.errors import ProvisioningError

try:
    import requests
    from urllib3.exceptions import NewConnectionError
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None

COLLECTION_VERSION = "0.1.0"
USER_AGENT = "openrouter.provisioning/%s (Ansible collection)" % COLLECTION_VERSION
DEFAULT_API_URL = "https://openrouter.ai/api/v1"
PAGE_SIZE = 100
RETRY_STATUSES = frozenset((429, 502, 503, 504))
BODY_EXCERPT = 200
# First backoff step in seconds; each further try doubles it, up to BACKOFF_CAP.
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0

_SECRET_PATTERN = re.compile(r"sk-or-[A-Za-z0-9_-]*-[A-Za-z0-9_.-]+")

HINTS = {
    400: "OpenRouter rejected the request as invalid; check the option values.",
    401: "The management key is missing or not valid; set management_key or OPENROUTER_MANAGEMENT_KEY to a valid management key.",
    403: "The key in use is not a management key; create a management key in OpenRouter's settings and use it as management_key.",
    404: "The key does not exist (it may have been deleted); check hash, or look the key up by name.",
    409: "The key was changed by someone else at the same time; run the task again.",
    429: "OpenRouter is rate limiting these requests; raise retries or retry_max_time, or send fewer requests at once (for example lower forks).",
}
SERVER_ERROR_HINT = "OpenRouter had a server-side problem; try again later, or raise retries or retry_max_time."


def redact(text, secrets=()):
    """Remove every known secret and anything shaped like an OpenRouter key from text."""
    text = str(text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "********")
    return _SECRET_PATTERN.sub("sk-or-********", text)


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


def backoff_delay(attempt, rand=random.random):
    """Jittered exponential backoff: half the step is fixed, the other half random, so clients spread out."""
    step = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** (attempt - 1)))
    return step / 2 + rand() * step / 2


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
    ):
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.retries = retries
        self.retry_max_time = retry_max_time
        self._secrets = [management_key]
        self._sleep = sleep
        self._clock = clock
        self.session = session or requests.Session()
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
        messages need both, so the retry loop is our own.
        """
        url = self.api_url + path
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.session.request(
                    method, url, params=params, json=body, timeout=self.timeout, verify=self.validate_certs
                )
            except requests.exceptions.RequestException as exc:
                lost = method == "POST" and not _never_sent(exc)
                failure = self._transport_error(exc, method, path, lost)
                # A certificate that fails verification fails again on every retry.
                if lost or isinstance(exc, requests.exceptions.SSLError):
                    raise failure
                asked = None
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response.status_code, self._decode(response, method, path)
                # A gateway error can hide a create that happened; the caller checks before creating again.
                lost = method == "POST" and response.status_code != 429
                failure = self._status_error(response, method, path, ResponseLost if lost else OpenRouterError)
                if lost:
                    raise failure
                asked = parse_retry_after(response.headers.get("Retry-After"))
            wait = backoff_delay(attempt) if asked is None else asked
            left = self.retry_max_time - (self._clock() - started)
            if attempt > self.retries:
                raise failure.gave_up(attempt)
            if wait > left:
                raise failure.gave_up(
                    attempt,
                    "OpenRouter asked to wait %gs (Retry-After), more than the %gs left of "
                    "retry_max_time." % (wait, max(0.0, round(left, 1)))
                    if asked is not None
                    else None,
                )
            self._sleep(wait)

    def _transport_error(self, exc, method, path, lost):
        where = "%s %s" % (method, path)
        if isinstance(exc, requests.exceptions.Timeout):
            message = "%s got no response within timeout=%ss." % (where, self.timeout)
            hint = "Raise the timeout option if OpenRouter is slow, or check the network."
        elif isinstance(exc, requests.exceptions.SSLError):
            message = "%s failed TLS verification: %s." % (where, exc)
            hint = "Fix the certificate chain or the CA bundle (REQUESTS_CA_BUNDLE); validate_certs=false is unsafe."
        elif lost:
            message = "%s lost its connection to %s before the answer arrived: %s." % (
                where,
                self.api_url,
                type(exc).__name__,
            )
            hint = "Check the network or proxy between this host and OpenRouter."
        else:
            message = "%s could not reach %s: %s." % (where, self.api_url, type(exc).__name__)
            hint = "Check api_url and the network or proxy between this host and OpenRouter."
        return self._error(message, cls=ResponseLost if lost else OpenRouterError, method=method, path=path, hint=hint)

    def _status_error(self, response, method, path, cls=OpenRouterError):
        api_message = redact(_api_message(response), self._secrets)
        status = response.status_code
        message = "%s %s failed with HTTP %d: %s." % (method, path, status, api_message.rstrip("."))
        hint = HINTS.get(status, SERVER_ERROR_HINT if status >= 500 else None)
        return self._error(
            message, cls=cls, status=status, method=method, path=path, api_message=api_message, hint=hint
        )

    def _decode(self, response, method, path):
        if response.status_code >= 400:
            raise self._status_error(response, method, path)
        try:
            return response.json()
        except ValueError:
            # A create that answered garbage did happen, but its secret is unreadable: the caller must clean up.
            raise self._error(
                "%s %s answered HTTP %d with a body that is not JSON: %r."
                % (method, path, response.status_code, response.text[:BODY_EXCERPT]),
                cls=ResponseLost if method == "POST" else OpenRouterError,
                status=response.status_code,
                method=method,
                path=path,
                hint="A proxy or gateway may be answering instead of OpenRouter; check api_url.",
            )

    def list_keys(self, include_disabled=True, include_expired=True, workspace_id=None):
        """Yield every key, reading page after page until a short page, without repeating a key."""
        params = {
            "include_disabled": "true" if include_disabled else "false",
            "include_expired": "true" if include_expired else "false",
        }
        if workspace_id:
            params["workspace_id"] = workspace_id
        seen = set()
        offset = 0
        while True:
            params["offset"] = offset
            page = self.request("GET", "/keys", params=dict(params))[1].get("data") or []
            for record in page:
                # A key created while we page pushes older keys down one place; skip the repeat.
                if record.get("hash") not in seen:
                    seen.add(record.get("hash"))
                    yield record
            if len(page) < PAGE_SIZE:
                return
            offset += PAGE_SIZE

    def get_key(self, key_hash):
        """Return the key with this hash, or None if there is none."""
        try:
            return self.request("GET", "/keys/%s" % key_hash)[1]["data"]
        except OpenRouterError as exc:
            if exc.status == 404:
                return None
            raise

    def create_key(self, body):
        """Create a key and return (record, secret)."""
        answer = self.request("POST", "/keys", body=body)[1]
        if not isinstance(answer, dict) or not answer.get("key") or not isinstance(answer.get("data"), dict):
            raise self._error(
                "POST /keys answered without the new key's record and secret.",
                cls=ResponseLost,
                method="POST",
                path="/keys",
                hint="The key may exist without its secret; check the key list.",
            )
        self.remember_secret(answer["key"])
        return answer["data"], answer["key"]

    def update_key(self, key_hash, body):
        return self.request("PATCH", "/keys/%s" % key_hash, body=body)[1]["data"]

    def delete_key(self, key_hash):
        """Delete a key; return False if it was already gone (a 404, including after a retried DELETE)."""
        try:
            self.request("DELETE", "/keys/%s" % key_hash)
        except OpenRouterError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def current_key(self):
        return self.request("GET", "/key")[1]["data"]


def _never_sent(exc):
    """True when the connection itself failed, so the request cannot have reached the server."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


def _api_message(response):
    """OpenRouter's own error message, or an excerpt of whatever else came back."""
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        text = response.text.strip()
        return "no OpenRouter error message; the body starts %r" % text[:BODY_EXCERPT] if text else "empty body"
