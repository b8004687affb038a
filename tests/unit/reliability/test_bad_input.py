# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input to both modules and to the api_keys role: each fails with a message naming the option, before any
request."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from ansible_collections.openrouter.provisioning.plugins.modules.openrouter_key import main as key_main
from ansible_collections.openrouter.provisioning.plugins.modules.openrouter_key_info import main as info_main
from ansible_collections.openrouter.provisioning.tests.unit.helpers import MANAGEMENT_KEY

HASH = "0123456789abcdef" * 4
LIMIT = "limit must be a number of USD (0 or more) or 'unlimited'"
EXPIRES_AT = "expires_at must be an ISO 8601 timestamp with a time zone"
API_URL = "api_url must be an http:// or https:// URL"
TIMEOUT = "timeout must be a number of seconds greater than 0"
PLAIN_HTTP = (
    "is plain http:// to another machine, which would send the management key unencrypted; use https://, or set "
    "allow_plain_http=true"
)

# (module, options, what the message must say). Every expected text names the option; "{port}" is the emulator's port,
# so that a module which skipped its checks would reach the emulator and show up in its log.
CASES = [
    (key_main, dict(name="svc", limit=-1), LIMIT + ", got -1."),
    (key_main, dict(name="svc", limit="ten"), LIMIT + ", got 'ten'."),
    (key_main, dict(name="svc", limit=True), LIMIT + ", got True."),
    (key_main, dict(name="svc", limit="NaN"), LIMIT + ", got 'NaN'."),
    (
        key_main,
        dict(name="svc", limit_reset="fortnightly"),
        "value of limit_reset must be one of: daily, weekly, monthly, never",
    ),
    (key_main, dict(name="svc", expires_at="2027-12-31T23:59:59"), EXPIRES_AT),
    (key_main, dict(name="svc", expires_at="2027-12-31"), EXPIRES_AT),
    (key_main, dict(name="svc", expires_at="end of next year"), EXPIRES_AT),
    (key_main, dict(name=""), "name must not be empty"),
    (key_main, dict(name="   "), "name must not be empty"),
    (key_main, dict(limit=5), "one of the following is required: hash, name"),
    (key_main, dict(hash="abc123", name="svc"), "hash must be the 64 hexadecimal characters"),
    (key_main, dict(hash="g" * 64), "hash must be the 64 hexadecimal characters"),
    (key_main, dict(name="svc", limt=5), "Unsupported parameters for (basic.py) module: limt."),
    (key_main, dict(name="svc", management_key=None), "management_key is required"),
    (key_main, dict(name="svc", api_url="ftp://127.0.0.1:{port}/api/v1"), API_URL),
    (key_main, dict(name="svc", api_url="127.0.0.1:{port}/api/v1"), API_URL),
    (key_main, dict(name="svc", timeout=0), TIMEOUT),
    (key_main, dict(name="svc", timeout=-5), TIMEOUT),
    (key_main, dict(name="svc", timeout="soon"), "argument 'timeout' is of type"),
    (key_main, dict(name="svc", retries=-1), "retries must be 0 or more"),
    (key_main, dict(name="svc", workspace_id=""), "workspace_id must not be empty"),
    (key_main, dict(name="svc", state="gone"), "value of state must be one of: present, absent"),
    (key_main, dict(name="svc", recreate="sometimes"), "value of recreate must be one of: never, on_change, always"),
    (info_main, dict(hash="not-a-hash"), "hash must be the 64 hexadecimal characters"),
    (info_main, dict(nmae="svc"), "Unsupported parameters for (basic.py) module: nmae."),
    (info_main, dict(management_key=None), "management_key is required"),
    (info_main, dict(api_url="file:///etc/passwd"), API_URL),
    (info_main, dict(timeout=0), TIMEOUT),
    # No request may carry the management key in clear text off this machine unless the user opted in.
    (key_main, dict(name="svc", api_url="http://192.0.2.1:{port}/api/v1"), PLAIN_HTTP),
    (info_main, dict(api_url="http://openrouter.ai/api/v1"), PLAIN_HTTP),
]

# Items of the role's openrouter_api_keys, each with one typo, and the start of what the role must say about it.
ROLE_ITEMS = [
    ({"name": "limt", "limt": 5}, "unknown field(s) limt;"),
    ({"nmae": "svc"}, "unknown field(s) nmae;"),
    ({"name": "stat", "stat": "absent"}, "unknown field(s) stat;"),
    ({"name": "reset", "limit_reset": "montly"}, "limit_reset must be one of"),
    ({"name": "limit", "limit": "1O"}, LIMIT),
    ({"name": "expiry", "expires_at": "2027-12-31"}, EXPIRES_AT),
    ({"name": "disabled", "disabled": "maybe"}, "disabled must be true or false"),
    ({"name": "twice"}, None),
    ({"name": "twice", "limit": 1}, "the name is also given by openrouter_api_keys[7]"),
]


@pytest.fixture
def existing(control):
    """Keys that a bad run must leave exactly as they are."""
    control.seed(keys=[{"name": "svc", "limit": 3}, {"name": "other", "disabled": True}])
    return control.keys()


def case_id(case):
    main, options, dummy = case
    return "%s-%s" % (main.__module__.rsplit(".", 1)[1], "-".join("%s=%s" % item for item in sorted(options.items())))


def test_the_table_is_big_enough():
    assert len(CASES) + len([text for dummy, text in ROLE_ITEMS if text]) >= 20


@pytest.mark.parametrize("main, options, message", CASES, ids=[case_id(case) for case in CASES])
def test_bad_module_input_fails_before_any_request(run, api_url, control, existing, main, options, message):
    port = urlsplit(api_url).port
    wanted = dict(api_url=api_url)
    wanted.update(
        (name, value.format(port=port) if isinstance(value, str) else value) for name, value in options.items()
    )
    result = run(main, **wanted)
    assert result["failed"]
    assert message in result["msg"]
    assert MANAGEMENT_KEY not in result["msg"]
    assert control.requests() == []
    assert control.keys() == existing


@pytest.mark.parametrize(
    "given, sent",
    [
        ("2028-01-01T01:59:59+02:00", "2027-12-31T23:59:59Z"),
        ("2027-12-31T23:59Z", "2027-12-31T23:59:00Z"),
        ("2027-12-31t23:59:59z", "2027-12-31T23:59:59Z"),
    ],
)
def test_expires_at_in_another_form_is_normalised_to_utc(run, api_url, control, given, sent):
    result = run(key_main, api_url=api_url, name="svc", expires_at=given)
    assert not result["failed"] and result["key"]["expires_at"] == sent
    assert [entry["body"] for entry in control.requests() if entry["method"] == "POST"] == [
        {"name": "svc", "expires_at": sent}
    ]


def test_bad_role_items_fail_before_any_request(api_url, control, existing, tmp_path):
    """The role checks every item before its first request, and names each bad item's index, name and field."""
    playbook = tmp_path / "playbook.yml"
    # JSON is YAML.
    playbook.write_text(
        json.dumps(
            [
                {
                    "hosts": "localhost",
                    "gather_facts": False,
                    "tasks": [
                        {
                            "ansible.builtin.include_role": {"name": "openrouter.provisioning.api_keys"},
                            "vars": {"openrouter_api_keys": [item for item, dummy in ROLE_ITEMS]},
                        }
                    ],
                }
            ]
        )
    )
    env = dict(os.environ, OPENROUTER_API_URL=api_url, OPENROUTER_MANAGEMENT_KEY=MANAGEMENT_KEY, ANSIBLE_NOCOLOR="1")
    played = subprocess.run(
        [
            os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
            "-i",
            "localhost,",
            "-c",
            "local",
            "-e",
            "ansible_python_interpreter=%s" % sys.executable,
            str(playbook),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        universal_newlines=True,
        check=False,
    )
    fatal = [line for line in played.stdout.splitlines() if line.startswith("fatal: [localhost]: FAILED! => ")]
    assert played.returncode == 2 and len(fatal) == 1, played.stdout
    message = json.loads(fatal[0].split(" => ", 1)[1])["msg"]
    for index, (item, text) in enumerate(ROLE_ITEMS):
        label = "openrouter_api_keys[%d] (%s):" % (index, item.get("name"))
        if text is None:
            assert label not in message
        else:
            assert "%s %s" % (label, text) in message, (index, message)
    assert control.requests() == []
    assert control.keys() == existing
