# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible Vault's AES256 format, to write a secret file that ``ansible-vault`` and the ``unvault`` lookup open.

The format is ansible-core's (lib/ansible/parsing/vault): PBKDF2-HMAC-SHA256 over the password and a random 32-byte salt
(10000 iterations) gives two 32-byte keys and a 16-byte counter; the PKCS#7-padded text is encrypted with AES-256-CTR
and authenticated with HMAC-SHA256; the hex of salt, HMAC and ciphertext, one per line, is hexlified again and cut into
80-character lines under the header ``$ANSIBLE_VAULT;1.1;AES256`` (``$ANSIBLE_VAULT;1.2;AES256;<vault id>`` with a
vault id).

It is written here on ``cryptography`` rather than taken from ansible-core's VaultLib because the module may run on a
remote host, where no controller code is installed; the format is documented and stable, so one implementation serves
the module and the in-process action plugin alike. No Ansible here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import stat
import traceback
from binascii import Error as BinasciiError
from binascii import hexlify, unhexlify

from ansible_collections.openrouter.provisioning.plugins.module_utils.errors import ProvisioningError

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.hmac import HMAC
    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
except ImportError:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None

HEADER = "$ANSIBLE_VAULT"
CIPHER = "AES256"
ITERATIONS = 10000
SALT_BYTES = 32
KEY_BYTES = 32
IV_BYTES = 16
LINE_CHARS = 80
# A label sits in the header between semicolons, and ansible-vault's --vault-id reads it up to an "@".
VAULT_ID_PATTERN = re.compile(r"^[^;@\s]+$")


class VaultError(ProvisioningError):
    """A vault password or vault id can't be used, or a file isn't a vault this module reads; never holds a password."""


def is_vault(text):
    """Whether `text` starts with Ansible Vault's header."""
    return text.startswith(HEADER + ";")


def read_password_file(path):
    """The vault password in the file `path`, with leading and trailing white space dropped as Ansible does."""
    try:
        info = os.stat(path)
        if stat.S_ISREG(info.st_mode) and info.st_mode & 0o111:
            raise VaultError(
                "%s is executable: Ansible would run it as a script for the password, which this module doesn't. "
                "Pass the script's output in secret_file_vault_password instead, or remove the execute bits." % path
            )
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as err:
        raise VaultError(
            "Can't read the vault password file %s: %s. Fix its path or its permissions." % (path, err.strerror or err)
        ) from err


class Vault:
    """A vault password (text or bytes) and an optional vault id, ready to encrypt a secret.

    Raises VaultError, before any request is sent, for a missing `cryptography`, an empty password or a bad vault id.
    """

    def __init__(self, password, vault_id=None):
        if not HAS_CRYPTOGRAPHY:
            raise VaultError(
                "Writing a vault-encrypted secret_file needs the Python package cryptography on the host that runs "
                "the module. Install it there (pip install cryptography), or leave out the secret_file_vault options."
            )
        if isinstance(password, str):
            password = password.encode("utf-8")
        self.password = password.strip()
        if not self.password:
            raise VaultError("The vault password is empty. Give the password the secret file should be encrypted with.")
        if vault_id is not None and not VAULT_ID_PATTERN.match(vault_id):
            raise VaultError(
                "secret_file_vault_id must be a vault id label without spaces, ';' or '@' (for example prod), got %r."
                % vault_id
            )
        # ansible-vault writes the 1.1 header for the default id, as for none.
        self.vault_id = None if vault_id == "default" else vault_id

    def _keys(self, salt):
        derived = PBKDF2HMAC(
            algorithm=hashes.SHA256(), length=2 * KEY_BYTES + IV_BYTES, salt=salt, iterations=ITERATIONS
        ).derive(self.password)
        return derived[:KEY_BYTES], derived[KEY_BYTES : 2 * KEY_BYTES], derived[2 * KEY_BYTES :]

    @staticmethod
    def _mac(key, ciphertext):
        mac = HMAC(key, hashes.SHA256())
        mac.update(ciphertext)
        return mac

    def encrypt(self, text):
        """The vault file's text for `text` (UTF-8), without the final newline."""
        salt = os.urandom(SALT_BYTES)
        cipher_key, mac_key, counter = self._keys(salt)
        padder = padding.PKCS7(algorithms.AES.block_size).padder()
        encryptor = Cipher(algorithms.AES(cipher_key), modes.CTR(counter)).encryptor()
        ciphertext = encryptor.update(padder.update(text.encode("utf-8")) + padder.finalize()) + encryptor.finalize()
        mac = self._mac(mac_key, ciphertext).finalize()
        body = hexlify(b"\n".join([hexlify(salt), hexlify(mac), hexlify(ciphertext)])).decode("ascii")
        header = [HEADER, "1.2", CIPHER, self.vault_id] if self.vault_id else [HEADER, "1.1", CIPHER]
        lines = [";".join(header)] + [body[start : start + LINE_CHARS] for start in range(0, len(body), LINE_CHARS)]
        return "\n".join(lines)

    def opens(self, vault_text):
        """Whether this password opens `vault_text` (its HMAC matches); VaultError if it isn't an AES256 vault."""
        lines = vault_text.splitlines()
        fields = lines[0].split(";") if lines else []
        try:
            if len(fields) < 3 or fields[0] != HEADER or fields[2].strip() != CIPHER:
                raise ValueError("not an AES256 vault")
            salt, mac, ciphertext = unhexlify("".join(lines[1:])).split(b"\n", 2)
            salt, mac, ciphertext = unhexlify(salt), unhexlify(mac), unhexlify(ciphertext)
        except (ValueError, BinasciiError) as err:
            raise VaultError("it isn't an Ansible Vault AES256 file this module can read (%s)" % err) from err
        try:
            self._mac(self._keys(salt)[1], ciphertext).verify(mac)
        except InvalidSignature:
            return False
        return True
