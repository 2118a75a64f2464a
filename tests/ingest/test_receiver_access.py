"""Who can reach `journeys serve`: loopback by default, a bearer token when set, TLS when asked."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from google.rpc.code_pb2 import UNAUTHENTICATED
from google.rpc.status_pb2 import Status
from ingest_builders import JOURNEY, request, span
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from receiver_runner import running_receiver
from serve_process import journeys_serve

from orchestration.ingest.landing import list_landing_files
from orchestration.settings import ReceiverSettings

TOKEN = "test-token-5f2c9a"
JSON = {"Content-Type": "application/json"}
PROTOBUF = {"Content-Type": "application/x-protobuf"}
BODY = orjson.dumps(request(span(1, 1, 0, 1, JOURNEY)))


@pytest.fixture
def guarded(tmp_path: Path):
    """The receiver with JOURNEYS_INGEST_TOKEN's setting, one landing file per request."""
    settings = ReceiverSettings(ingest_token=TOKEN, batch_requests=1)
    with running_receiver(tmp_path / "received", settings=settings) as running:
        yield running


def _listening_addresses(port: int) -> set[str]:
    """The IPv4 addresses a socket listens on at `port`, as the kernel reports them."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
            found.add(str(ipaddress.IPv4Address(bytes.fromhex(address)[::-1])))
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads the kernel's socket table (Linux)")
def test_journeys_serve_listens_on_loopback_only_unless_told(tmp_path):
    with journeys_serve("--landing-dir", str(tmp_path / "landing")) as serving:
        assert _listening_addresses(serving.port) == {"127.0.0.1"}
    assert "beyond loopback" not in serving.output
    with journeys_serve("--host", "0.0.0.0", "--landing-dir", str(tmp_path / "landing")) as serving:
        assert _listening_addresses(serving.port) == {"0.0.0.0"}
    assert "Warning: listening beyond loopback without JOURNEYS_INGEST_TOKEN" in serving.output


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer"]
)
@pytest.mark.parametrize("headers", [JSON, PROTOBUF], ids=["json", "protobuf"])
def test_without_the_token_a_request_gets_401_with_a_status_in_its_content_type(guarded, authorization, headers):
    sent = {**headers, **({"Authorization": authorization} if authorization else {})}
    answer = requests.post(guarded.traces_url, data=BODY, headers=sent, timeout=10)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    if headers is PROTOBUF:
        status = Status.FromString(answer.content)
        code, message = status.code, status.message
    else:
        code, message = answer.json()["code"], answer.json()["message"]
    assert code == UNAUTHENTICATED and "bearer token" in message
    assert TOKEN not in answer.text
    assert list_landing_files(guarded.landing) == []


@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
def test_with_the_token_a_request_lands(guarded, scheme):
    answer = requests.post(guarded.traces_url, data=BODY, headers={**JSON, "Authorization": f"{scheme} {TOKEN}"}, timeout=10)
    assert answer.status_code == 200
    assert len(list_landing_files(guarded.landing)) == 1


def test_health_needs_no_token(guarded):
    assert requests.get(f"{guarded.url}/health", timeout=10).json()["status"] == "ok"


def _export_one_span(endpoint: str, **exporter_options) -> bool:
    provider = TracerProvider(resource=Resource.create({"service.name": "auth-test"}))
    exporter = OTLPSpanExporter(endpoint=endpoint, **exporter_options)
    exported = []
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    original = exporter.export
    exporter.export = lambda spans: exported.append(original(spans)) or exported[-1]
    with provider.get_tracer("tests").start_as_current_span("conversation", attributes={"session.id": "auth-1"}):
        pass
    provider.shutdown()
    return exported[-1].name == "SUCCESS"


def test_the_sdk_exporter_sends_the_token_with_headers(guarded):
    assert not _export_one_span(guarded.traces_url)
    assert list_landing_files(guarded.landing) == []
    assert _export_one_span(guarded.traces_url, headers={"Authorization": f"Bearer {TOKEN}"})
    assert len(list_landing_files(guarded.landing)) == 1


_TRACEAI_SCRIPT = """
import os, sys
from fi_instrumentation import register
from fi_instrumentation.fi_types import ProjectType
from fi_instrumentation.otel import Transport

provider = register(project_name="journeys-test", project_type=ProjectType.OBSERVE, transport=Transport.HTTP,
                    verbose=False, headers={"Authorization": "Bearer " + os.environ["JOURNEYS_INGEST_TOKEN"]})
with provider.get_tracer("traceai-test").start_as_current_span("conversation", attributes={"session.id": "fi-1"}):
    pass
provider.shutdown()
"""


def test_traceai_register_sends_the_token_with_headers(guarded):
    """traceAI's `register(headers=...)`: an `Authorization` header replaces its FI_API_KEY headers."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("FI_", "OTEL_"))}
    environment |= {"FI_BASE_URL": guarded.url, "JOURNEYS_INGEST_TOKEN": TOKEN}
    done = subprocess.run(
        [sys.executable, "-c", _TRACEAI_SCRIPT], check=False, env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "Failed to export" not in done.stderr, done.stderr
    assert len(list_landing_files(guarded.landing)) == 1


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "journeys-test")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.IPv4Address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "receiver.crt", directory / "receiver.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_journeys_serve_speaks_tls_with_a_certificate_and_key(tmp_path, monkeypatch):
    # requests lets these variables override a session's `verify`, which is how the exporter
    # passes `certificate_file` (psf/requests#3829): without them the exporter trusts our CA.
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    cert, key = _self_signed(tmp_path)
    landing = tmp_path / "landing"
    arguments = ("--landing-dir", str(landing), "--tls-cert", str(cert), "--tls-key", str(key), "--batch-requests", "1")
    with journeys_serve(*arguments, env={"JOURNEYS_INGEST_TOKEN": TOKEN}, https_ca=cert) as serving:
        assert serving.url.startswith("https://")
        with pytest.raises(requests.ConnectionError):  # plain HTTP is not spoken there
            requests.post(f"http://127.0.0.1:{serving.port}/v1/traces", data=BODY, headers=JSON, timeout=10)
        with pytest.raises(requests.exceptions.SSLError):  # nor is an unverified certificate trusted
            requests.get(f"{serving.url}/health", timeout=10)
        exported = _export_one_span(
            f"{serving.url}/v1/traces", certificate_file=str(cert), headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert exported
        assert len(list_landing_files(landing)) == 1
    assert f"https://127.0.0.1:{serving.port}/v1/traces" in serving.output


def test_tls_needs_both_certificate_and_key(tmp_path):
    cert, _ = _self_signed(tmp_path)
    from serve_process import JOURNEYS

    done = subprocess.run(
        [str(JOURNEYS), "serve", "--tls-cert", str(cert)], check=False, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "--tls-cert and --tls-key go together" in done.stderr
