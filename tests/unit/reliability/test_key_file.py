# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""management_key_file: the key read from a file at run time, and a clear error before any request when it can't be."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.openrouter.provisioning.plugins.modules.openrouter_key_info import main as info_main
from ansible_collections.openrouter.provisioning.tests.unit.helpers import MANAGEMENT_KEY


def test_the_key_is_read_from_the_file_and_wins_over_the_option(run, api_url, control, tmp_path):
    key_file = tmp_path / "management-key"
    key_file.write_text("\n  %s  \n" % MANAGEMENT_KEY)
    control.seed(keys=[{"name": "svc"}])
    result = run(info_main, api_url=api_url, management_key="sk-or-v1-not-this-one", management_key_file=str(key_file))
    assert not result["failed"], result["msg"]
    assert [record["name"] for record in result["api_keys"]] == ["svc"]


def test_a_wrong_key_in_the_file_is_redacted_from_the_401(run, api_url, control, tmp_path):
    key_file = tmp_path / "management-key"
    key_file.write_text("wrong-management-key-from-a-file")
    result = run(info_main, api_url=api_url, management_key_file=str(key_file))
    assert result["failed"] and "HTTP 401" in result["msg"]
    assert "wrong-management-key-from-a-file" not in result["msg"]


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "can't be read: No such file or directory."),
        ("", "must hold the management key alone, got an empty file."),
        ("   \n", "must hold the management key alone, got an empty file."),
        ("management_key: sk-or-v1-x\n", "must hold the management key alone, got several words."),
    ],
    ids=["missing", "empty", "blank", "not the key alone"],
)
def test_a_file_that_cannot_give_a_key_fails_before_any_request(run, api_url, control, tmp_path, content, message):
    key_file = tmp_path / "management-key"
    if content is not None:
        key_file.write_text(content)
    result = run(info_main, api_url=api_url, management_key_file=str(key_file))
    assert result["failed"]
    assert "management_key_file %s %s" % (key_file, message) in result["msg"]
    assert "sk-or-v1-x" not in result["msg"]
    assert control.requests() == []


def test_a_directory_is_not_a_key_file(run, api_url, control, tmp_path):
    result = run(info_main, api_url=api_url, management_key_file=str(tmp_path))
    assert result["failed"] and "management_key_file %s can't be read: Is a directory." % tmp_path in result["msg"]
    assert control.requests() == []
