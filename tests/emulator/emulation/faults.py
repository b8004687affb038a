# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Injected faults: queued ones (Fault) and random ones (Chaos). See docs/emulator.md."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from http import HTTPStatus
from typing import Any

from .common import ApiError, Reply, is_int, is_number

FAULT_ACTIONS = ("status", "delay", "drop", "apply_then_drop", "malformed", "html")
FAULT_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "*")
DEFAULT_CHAOS_ACTIONS = ("status:503", "status:429", "drop", "apply_then_drop")
MALFORMED_BODY = b'{"data": ['
HTML_BODY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
    b"<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
# The contract quotes this message for 429; every other injected status gets its standard reason phrase.
STATUS_MESSAGES = {429: "Rate limit exceeded"}


def reason(status: int) -> str:
    if status in STATUS_MESSAGES:
        return STATUS_MESSAGES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:  # a status without a standard phrase, such as Cloudflare's 520
        return "Error"


@dataclass
class Fault:
    """One injected fault; see docs/emulator.md for the actions and their fields."""

    action: str
    method: str = "*"
    path: str = ".*"
    times: int = 1
    status: int = 500
    message: str | None = None
    retry_after: int | None = None
    seconds: float = 0.0

    @classmethod
    def from_json(cls, obj: Any) -> Fault:
        if not isinstance(obj, dict):
            raise ApiError(400, "a fault must be a JSON object")
        unknown = sorted(set(obj) - {known.name for known in dataclass_fields(cls)})
        if unknown:
            raise ApiError(400, f"unknown fault fields: {', '.join(unknown)}")
        if obj.get("action") not in FAULT_ACTIONS:
            raise ApiError(400, f"fault action must be one of {', '.join(FAULT_ACTIONS)}")
        fault = cls(**obj)
        fault.validate()
        return fault

    @classmethod
    def from_spec(cls, spec: Any, retry_after: Any = None) -> Fault:
        """Parse a chaos action: 'status:503', 'delay:0.2', or a bare action name."""
        if not isinstance(spec, str):
            raise ApiError(400, "chaos actions must be strings")
        action, arg = spec.partition(":")[::2]
        obj: dict[str, Any] = {"action": action, "retry_after": retry_after}
        try:
            if arg and action == "status":
                obj["status"] = int(arg)
            elif arg and action == "delay":
                obj["seconds"] = float(arg)
            elif arg:
                raise ValueError(arg)
        except ValueError:
            raise ApiError(400, f"invalid chaos action {spec!r}") from None
        return cls.from_json(obj)

    def validate(self) -> None:
        if self.method not in FAULT_METHODS:
            raise ApiError(400, f"fault method must be one of {', '.join(FAULT_METHODS)}")
        try:
            re.compile(self.path)
        except (re.error, TypeError):
            raise ApiError(400, f"fault path is not a valid regular expression: {self.path!r}") from None
        if not is_int(self.times) or self.times < 1:
            raise ApiError(400, "fault times must be an integer >= 1")
        if not is_int(self.status) or not 400 <= self.status <= 599:
            raise ApiError(400, "fault status must be an integer from 400 to 599")
        if self.message is not None and not isinstance(self.message, str):
            raise ApiError(400, "fault message must be a string")
        if self.retry_after is not None and (not is_int(self.retry_after) or self.retry_after < 0):
            raise ApiError(400, "fault retry_after must be an integer >= 0")
        if not is_number(self.seconds) or self.seconds < 0:
            raise ApiError(400, "fault seconds must be a number >= 0")

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and re.fullmatch(self.path, path) is not None

    @property
    def applies(self) -> bool:
        """Whether the request still reaches the state."""
        return self.action in ("delay", "apply_then_drop")

    @property
    def drops(self) -> bool:
        return self.action in ("drop", "apply_then_drop")

    def reply(self) -> Reply:
        """The response of a fault that replaces the real one."""
        if self.action == "malformed":
            return Reply(200, MALFORMED_BODY)
        if self.action == "html":
            return Reply(502, HTML_BODY, "text/html; charset=utf-8")
        headers = {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}
        return ApiError(self.status, self.message or reason(self.status), headers).reply()


@dataclass
class Chaos:
    """Random faults on a share of the API requests, from a seeded generator so a run can be repeated."""

    rate: float
    faults: list[Fault]
    rng: random.Random

    def draw(self) -> Fault | None:
        return self.rng.choice(self.faults) if self.rng.random() < self.rate else None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> tuple[Chaos | None, dict[str, Any] | None]:
        """The chaos a POST /_emulator/chaos body asks for (None when rate is 0), and its description."""
        rate = body.get("rate", 0)
        if not is_number(rate) or not 0 <= rate <= 1:
            raise ApiError(400, "chaos rate must be a number from 0 to 1")
        seed = body.get("seed", 0)
        if not is_int(seed):
            raise ApiError(400, "chaos seed must be an integer")
        actions = body.get("actions", list(DEFAULT_CHAOS_ACTIONS))
        if not isinstance(actions, list) or not actions:
            raise ApiError(400, "chaos actions must be a non-empty list")
        faults = [Fault.from_spec(spec, body.get("retry_after")) for spec in actions]
        if not rate:
            return None, None
        return cls(rate, faults, random.Random(seed)), {"rate": rate, "seed": seed, "actions": actions}
