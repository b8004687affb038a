# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""openrouter_key's secret_file as an Ansible Vault file: ansible-core's own VaultLib opens what the module wrote."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

import pytest
from ansible.parsing.vault import VaultLib, VaultSecret

from ansible_collections.openrouter.provisioning.plugins.module_utils import vault
from ansible_collections.openrouter.provisioning.plugins.modules.openrouter_key import main
from ansible_collections.openrouter.provisioning.tests.unit.helpers import (
    API,
    HASH,
    SECRET,
    created,
    key,
    listing,
    read,
    sent,
)

PASSWORD = "correct horse battery staple"


def unvault(path, password=PASSWORD, vault_id="default"):
    """The file's text as ansible-core decrypts it."""
    with open(path, "rb") as handle:
        return VaultLib([(vault_id, VaultSecret(password.encode("utf-8")))]).decrypt(handle.read()).decode("utf-8")


def write_vault(path, text, password):
    with open(path, "wb") as handle:
        handle.write(VaultLib([("default", VaultSecret(password.encode("utf-8")))]).encrypt(text))


@pytest.mark.parametrize(
    "vault_id, header",
    [
        (None, "$ANSIBLE_VAULT;1.1;AES256\n"),
        ("default", "$ANSIBLE_VAULT;1.1;AES256\n"),
        ("prod", "$ANSIBLE_VAULT;1.2;AES256;prod\n"),
    ],
)
def test_create_writes_a_vault_file_that_ansible_opens(run, http, secret_file, vault_id, header):
    listing(http, [])
    created(http)
    options = dict(secret_file_vault_id=vault_id) if vault_id else {}
    result = run(main, name="svc", secret_file=secret_file, secret_file_vault_password=PASSWORD, diff=True, **options)
    assert result["changed"] and not result["failed"] and result["secret_file_encrypted"] is True
    assert "secret" not in result and SECRET not in repr(result) and PASSWORD not in repr(result)
    text = read(secret_file)
    assert text.startswith(header) and text.endswith("\n") and SECRET not in text
    assert all(len(line) <= 80 for line in text.splitlines())
    assert unvault(secret_file, vault_id=vault_id or "default") == SECRET
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600


def test_the_password_file_gives_the_password_stripped_as_ansible_does(run, http, secret_file, tmp_path):
    password_file = tmp_path / "vault-pass"
    password_file.write_text("  %s\n" % PASSWORD)
    listing(http, [])
    created(http)
    result = run(main, name="svc", secret_file=secret_file, secret_file_vault_password_file=str(password_file))
    assert result["secret_file_encrypted"] is True and unvault(secret_file) == SECRET


def test_a_plain_file_says_it_is_not_encrypted(run, http, secret_file):
    listing(http, [])
    created(http)
    result = run(main, name="svc", secret_file=secret_file)
    assert result["secret_file_encrypted"] is False and read(secret_file) == SECRET + "\n"


def test_check_mode_says_the_file_would_be_encrypted_and_writes_nothing(run, http, secret_file):
    listing(http, [])
    result = run(main, name="svc", secret_file=secret_file, secret_file_vault_password=PASSWORD, check_mode=True)
    assert result["changed"] and result["secret_file_encrypted"] is True and not os.path.exists(secret_file)


def test_a_rotation_replaces_a_vault_file_that_the_password_opens(run, http, secret_file):
    write_vault(secret_file, "old-secret\n", PASSWORD)
    listing(http, [key(1, name="svc")])
    created(http)
    http.delete(API + "/keys/%064x" % 1, json={"deleted": True})
    result = run(main, name="svc", recreate="always", secret_file=secret_file, secret_file_vault_password=PASSWORD)
    assert result["changed"] and unvault(secret_file) == SECRET


def test_an_undone_replacement_puts_the_old_vault_file_back_unchanged(run, http, secret_file):
    write_vault(secret_file, "old-secret\n", PASSWORD)
    before = read(secret_file)
    listing(http, [key(1, name="svc")])
    created(http)
    http.delete(API + "/keys/%064x" % 1, status=500, json={"error": {"code": 500, "message": "boom"}})
    http.get(API + "/keys/%064x" % 1, json={"data": key(1, name="svc")})
    http.delete(API + "/keys/" + HASH, json={"deleted": True})
    result = run(main, name="svc", recreate="always", secret_file=secret_file, secret_file_vault_password=PASSWORD)
    assert result["failed"] and "secret_file_encrypted" not in result
    assert read(secret_file) == before and unvault(secret_file) == "old-secret\n"


def _vault_of_another_password(secret_file, tmp_path):
    write_vault(secret_file, "old-secret\n", "another password")
    return dict(secret_file=secret_file, secret_file_vault_password=PASSWORD)


def _empty_password(secret_file, tmp_path):
    return dict(secret_file=secret_file, secret_file_vault_password="")


def _blank_password_file(secret_file, tmp_path):
    (tmp_path / "vault-pass").write_text(" \n")
    return dict(secret_file=secret_file, secret_file_vault_password_file=str(tmp_path / "vault-pass"))


def _missing_password_file(secret_file, tmp_path):
    return dict(secret_file=secret_file, secret_file_vault_password_file=str(tmp_path / "nowhere"))


def _password_script(secret_file, tmp_path):
    script = tmp_path / "vault-pass.sh"
    script.write_text("#!/bin/sh\necho secret\n")
    script.chmod(0o700)
    return dict(secret_file=secret_file, secret_file_vault_password_file=str(script))


def _both_passwords(secret_file, tmp_path):
    return dict(secret_file=secret_file, secret_file_vault_password=PASSWORD, secret_file_vault_password_file="/x")


def _vault_id_alone(secret_file, tmp_path):
    return dict(secret_file=secret_file, secret_file_vault_id="prod")


def _bad_vault_id(secret_file, tmp_path):
    return dict(secret_file=secret_file, secret_file_vault_password=PASSWORD, secret_file_vault_id="a;b")


def _vault_without_secret_file(secret_file, tmp_path):
    return dict(secret_file_vault_password=PASSWORD)


def _not_a_vault_this_module_reads(secret_file, tmp_path):
    with open(secret_file, "w") as handle:
        handle.write("$ANSIBLE_VAULT;1.1;AES256\nnot hex\n")
    return dict(secret_file=secret_file, secret_file_vault_password=PASSWORD)


@pytest.mark.parametrize(
    "setup, expected",
    [
        (_vault_of_another_password, "is a vault file that the vault password given doesn't open"),
        (_empty_password, "The vault password is empty"),
        (_blank_password_file, "The vault password is empty"),
        (_missing_password_file, "Can't read the vault password file"),
        (_password_script, "is executable: Ansible would run it as a script"),
        (_both_passwords, "are mutually exclusive"),
        (_vault_id_alone, "secret_file_vault_id labels a vault password"),
        (_bad_vault_id, "secret_file_vault_id must be a vault id label"),
        (_vault_without_secret_file, "secret_file_vault_password only apply to secret_file"),
        (_not_a_vault_this_module_reads, "isn't an Ansible Vault AES256 file this module can read"),
    ],
)
@pytest.mark.parametrize("check_mode", [True, False])
def test_a_vault_option_that_cannot_work_fails_before_any_request(
    run, http, secret_file, tmp_path, setup, expected, check_mode
):
    result = run(main, name="svc", check_mode=check_mode, **setup(secret_file, tmp_path))
    assert result["failed"] and expected in result["msg"] and sent(http) == []
    assert PASSWORD not in result["msg"]


def test_a_plain_file_at_the_path_is_replaced_by_a_vault_file(run, http, secret_file):
    with open(secret_file, "w") as handle:
        handle.write("old-secret\n")
    listing(http, [key(1, name="svc")])
    created(http)
    http.delete(API + "/keys/%064x" % 1, json={"deleted": True})
    run(main, name="svc", recreate="always", secret_file=secret_file, secret_file_vault_password=PASSWORD)
    assert unvault(secret_file) == SECRET


def test_without_cryptography_the_error_names_the_package(run, http, secret_file, monkeypatch):
    monkeypatch.setattr(vault, "HAS_CRYPTOGRAPHY", False)
    result = run(main, name="svc", secret_file=secret_file, secret_file_vault_password=PASSWORD)
    assert result["failed"] and "needs the Python package cryptography" in result["msg"] and sent(http) == []


@pytest.mark.parametrize("vault_id", [None, "prod"])
def test_the_module_opens_what_ansible_wrote_and_ansible_opens_what_the_module_wrote(vault_id):
    mine = vault.Vault(PASSWORD, vault_id)
    theirs = VaultLib([(vault_id or "default", VaultSecret(PASSWORD.encode("utf-8")))])
    assert mine.opens(theirs.encrypt("x" * 100, vault_id=vault_id).decode("ascii"))
    for text in ("", "é" * 40, "a" * 16):
        assert theirs.decrypt(mine.encrypt(text)).decode("utf-8") == text
    assert not vault.Vault("other").opens(mine.encrypt("x"))
