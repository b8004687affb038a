# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whatever stops openrouter_key after a create, the failed result carries the new secret (or it is in secret_file)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.openrouter.provisioning.plugins.module_utils.keys import KeyTask
from ansible_collections.openrouter.provisioning.plugins.modules.openrouter_key import main
from ansible_collections.openrouter.provisioning.tests.unit.helpers import API, SECRET, key, listing

HASH = "%064x" % 2


def stop_the_patch(monkeypatch, error):
    def update(self, ref, patch):
        raise error

    monkeypatch.setattr(KeyTask, "update", update)


@pytest.mark.parametrize(
    "error",
    [KeyError("data"), RecursionError("maximum recursion depth exceeded"), KeyboardInterrupt(), SystemExit(143)],
    ids=lambda error: type(error).__name__,
)
def test_anything_that_stops_the_run_after_the_create_returns_the_secret(run, http, monkeypatch, error):
    listing(http, [])
    http.post(API + "/keys", status=201, json={"data": key(2, name="svc"), "key": SECRET})
    stop_the_patch(monkeypatch, error)
    result = run(main, name="svc", disabled=True)
    assert result["failed"] and result["changed"]
    assert result["secret"] == SECRET and result["key"]["hash"] == HASH
    assert (
        "The key %s was created, then the run stopped on an unexpected %s" % (HASH, type(error).__name__)
        in (result["msg"])
    )
    assert "Its secret is in this result (secret)" in result["msg"] and SECRET not in result["msg"]


def test_an_answer_of_an_unexpected_shape_after_the_create_returns_the_secret(run, http):
    listing(http, [])
    http.post(API + "/keys", status=201, json={"data": key(2, name="svc"), "key": SECRET})
    http.patch(API + "/keys/" + HASH, json={"unexpected": True})
    result = run(main, name="svc", disabled=True)
    assert result["failed"] and result["secret"] == SECRET
    assert "answered without a record in data" in result["msg"] and "its secret is in this result" in result["msg"]


def test_a_created_record_without_a_hash_still_returns_the_secret(run, http):
    record = key(2, name="svc")
    del record["hash"]
    listing(http, [])
    http.post(API + "/keys", status=201, json={"data": record, "key": SECRET})
    result = run(main, name="svc", disabled=True)
    assert result["failed"] and result["secret"] == SECRET and "(hash unknown)" in result["msg"]


def test_with_secret_file_the_failure_points_to_the_file(run, http, monkeypatch, tmp_path):
    path = str(tmp_path / "svc.key")
    listing(http, [])
    http.post(API + "/keys", status=201, json={"data": key(2, name="svc"), "key": SECRET})
    stop_the_patch(monkeypatch, KeyboardInterrupt())
    result = run(main, name="svc", disabled=True, secret_file=path)
    assert result["failed"] and "secret" not in result and result["secret_file"] == path
    assert "Its secret is in secret_file %s" % path in result["msg"]
    with open(path) as handle:
        assert handle.read() == SECRET + "\n"


def test_an_interrupt_before_any_create_is_not_swallowed(run, http, monkeypatch):
    def create(self, body, named):
        raise KeyboardInterrupt()

    monkeypatch.setattr(KeyTask, "create", create)
    listing(http, [])
    with pytest.raises(KeyboardInterrupt):
        run(main, name="svc")
