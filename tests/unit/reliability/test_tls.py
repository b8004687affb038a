# -*- coding: utf-8 -*-
# Copyright: contributors to openrouter.provisioning
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""TLS verification is on by default: both modules refuse an emulator behind a certificate that no CA vouches for."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import ipaddress
import ssl

import pytest
import yaml

from ansible_collections.openrouter.provisioning.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.openrouter.provisioning.plugins.modules.openrouter_key import main as key_main
from ansible_collections.openrouter.provisioning.plugins.modules.openrouter_key_info import main as info_main
from ansible_collections.openrouter.provisioning.tests.unit.helpers import start_emulator, stop_emulator

MODULES = [
    pytest.param(key_main, {"name": "svc"}, id="openrouter_key"),
    pytest.param(info_main, {}, id="openrouter_key_info"),
]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files (cryptography comes with ansible-core)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(directory / "cert.pem"), str(directory / "key.pem")


@pytest.fixture(scope="module")
def tls_api_url(certificate):
    """The API URL of an emulator that speaks only TLS, with that certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    server = start_emulator(ssl_context=context)
    yield server.base_url.replace("http://", "https://", 1)
    stop_emulator(server)


@pytest.mark.parametrize("main, options", MODULES)
def test_an_untrusted_certificate_fails_at_once_by_default(run, tls_api_url, main, options):
    # Default retries: a failed verification is not retried, since it would fail again.
    result = run(main, api_url=tls_api_url, retries=5, **options)
    assert result["failed"] and "exception" not in result
    assert result["msg"].startswith("GET /keys failed TLS verification: ")
    assert "gave up after" not in result["msg"]
    assert "validate_certs=false is unsafe" in result["msg"]


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
@pytest.mark.parametrize("main, options", MODULES)
def test_the_certificate_passes_once_trusted_or_with_verification_off(
    run, tls_api_url, certificate, monkeypatch, main, options
):
    assert not run(main, api_url=tls_api_url, validate_certs=False, **options)["failed"]
    # The fix the message suggests: trust the CA, and keep verifying.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certificate[0])
    assert not run(main, api_url=tls_api_url, **options)["failed"]


def test_verification_is_documented_on_by_default_and_off_as_unsafe():
    option = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]["validate_certs"]
    assert option["default"] is True
    assert "unsafe" in " ".join(option["description"])
