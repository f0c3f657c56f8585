"""One delivery attempt, against real servers on 127.0.0.1."""

import contextlib
import datetime as dt
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from accounting.tests.webhooks.receivers import Receiver
from accounting.webhooks import addresses, sending, signing

BODY = b'{"type": "credit.applied", "id": "evt_1"}'
SECRET = "whsec_test"


def signed_headers(body: bytes = BODY) -> dict[str, str]:
    now = int(time.time())
    return {
        "Content-Type": "application/json",
        signing.SIGNATURE_HEADER: signing.signature_header(
            secrets=[SECRET], timestamp=now, body=body
        ),
    }


def post(url: str, **options) -> sending.Attempt:
    arguments = {
        "body": BODY,
        "headers": signed_headers(),
        "allow_private": True,
        "require_https": False,
        "timeout": 5.0,
        **options,
    }
    return sending.post_signed(url, **arguments)


def test_a_2xx_is_delivered_signed_as_sent(receiver):
    attempt = post(receiver.url)

    assert attempt == sending.Attempt(
        status_code=200,
        error="",
        duration_ms=attempt.duration_ms,
        response_excerpt="ok",
    )
    assert attempt.delivered
    assert 0 <= attempt.duration_ms < 5000
    (request,) = receiver.requests
    assert (request.method, request.path, request.body) == (
        "POST",
        "/hooks",
        BODY,
    )
    assert request.headers["Host"] == f"127.0.0.1:{receiver.port}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Content-Length"] == str(len(BODY))
    assert "Accept-Encoding" not in request.headers
    assert signing.signature_verify(
        header=request.headers[signing.SIGNATURE_HEADER],
        body=request.body,
        secret=SECRET,
        now=int(time.time()),
    )


@pytest.mark.parametrize(
    ("status", "error", "delivered"),
    [
        (201, "", True),
        (204, "", True),
        (299, "", True),
        (400, "http_4xx", False),
        (410, "http_4xx", False),
        (500, "http_5xx", False),
        (503, "http_5xx", False),
        (600, "http_6xx", False),
    ],
)
def test_the_status_decides(receiver, status, error, delivered):
    body = b"" if status == 204 else b"nope"
    receiver.answer(status=status, body=body)

    attempt = post(receiver.url)

    assert (attempt.status_code, attempt.error, attempt.delivered) == (
        status,
        error,
        delivered,
    )
    assert attempt.response_excerpt == body.decode()
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed(receiver, status):
    elsewhere = Receiver()
    elsewhere.start()
    try:
        receiver.answer(status=status, headers={"Location": elsewhere.url})

        attempt = post(receiver.url)

        assert (attempt.status_code, attempt.error) == (status, "redirect")
        assert not attempt.delivered
        assert len(receiver.requests) == 1
        assert elsewhere.requests == []
    finally:
        elsewhere.stop()


def test_a_slow_receiver_times_out(receiver):
    receiver.answer(delay=5.0)

    attempt = post(receiver.url, timeout=0.3)

    assert (attempt.status_code, attempt.error) == (None, "timeout")
    assert 250 <= attempt.duration_ms < 1500
    assert len(receiver.requests) == 1


def test_the_timeout_bounds_the_whole_attempt_not_each_read(receiver):
    # A byte every 50 ms never trips a per-read timeout of 0.5 s, but the
    # answer takes several seconds in all.
    receiver.answer(drip=0.05, body=b"x" * 100)

    attempt = post(receiver.url, timeout=0.5)

    assert (attempt.status_code, attempt.error) == (None, "timeout")
    assert 450 <= attempt.duration_ms < 1500


def test_no_time_left_makes_no_connection(receiver):
    attempt = post(receiver.url, timeout=0.0)

    assert (attempt.status_code, attempt.error) == (None, "timeout")
    assert receiver.requests == []


def test_a_receiver_that_is_down_refuses_then_takes_it_when_back(receiver):
    port = receiver.port
    receiver.stop()

    down = post(receiver.url)

    assert (down.status_code, down.error) == (None, "connection_refused")
    receiver.start()
    assert receiver.port == port
    up = post(receiver.url)
    assert up.delivered
    assert [request.body for request in receiver.requests] == [BODY]


def test_a_private_address_is_refused_where_not_allowed(receiver):
    attempt = post(receiver.url, allow_private=False)

    assert (attempt.status_code, attempt.error) == (None, "address_refused")
    assert receiver.requests == []


def test_a_name_is_vetted_when_connecting_not_only_when_registered(receiver):
    # The URL's form passes, and its check at registration (which would
    # have refused localhost) is skipped, as when DNS answered a public
    # address then and answers 127.0.0.1 now: the connection is refused.
    url = f"http://localhost:{receiver.port}/hooks"
    addresses.url_checked(url, require_https=False)

    attempt = post(url, allow_private=False)

    assert (attempt.status_code, attempt.error) == (None, "address_refused")
    assert receiver.requests == []


def test_a_name_is_connected_to_by_address_and_sent_by_name(receiver):
    attempt = post(f"http://localhost:{receiver.port}/hooks?x=1")

    assert attempt.delivered
    (request,) = receiver.requests
    assert request.headers["Host"] == f"localhost:{receiver.port}"
    assert request.path == "/hooks?x=1"


def test_a_host_that_no_longer_resolves_fails(receiver):
    attempt = post(f"http://no-such-host.invalid:{receiver.port}/hooks")

    assert (attempt.status_code, attempt.error) == (None, "dns_error")


@pytest.mark.parametrize(
    ("url", "require_https"),
    [
        ("http://127.0.0.1:1/hooks", True),
        ("ftp://127.0.0.1:1/hooks", False),
        ("http://user:pw@127.0.0.1:1/hooks", False),
    ],
)
def test_a_url_of_a_refused_form_is_not_tried(url, require_https):
    attempt = post(url, require_https=require_https)

    assert (attempt.status_code, attempt.error) == (None, "invalid_url")


def test_only_the_start_of_a_large_answer_is_read(receiver):
    receiver.answer(body="é".encode() + b"x" * 1_000_000)

    attempt = post(receiver.url)

    assert attempt.delivered
    assert attempt.response_excerpt == "é" + "x" * 1022
    assert len(attempt.response_excerpt.encode()) == sending.EXCERPT_BYTES


def test_an_answer_cut_in_half_keeps_the_start_undecodable_bytes_replaced(
    receiver,
):
    receiver.answer(
        status=202, body=b"short \xff", headers={"Content-Length": "100"}
    )

    attempt = post(receiver.url)

    assert (attempt.status_code, attempt.error) == (202, "")
    assert attempt.delivered
    assert attempt.response_excerpt == "short \ufffd"


def test_tls_to_a_plain_http_port_fails_as_tls(receiver):
    url = f"https://127.0.0.1:{receiver.port}/hooks"

    attempt = post(url, require_https=True)

    assert (attempt.status_code, attempt.error) == (None, "tls_error")
    assert receiver.requests == []


def test_tls_is_verified_against_the_name_connected_to_by_address(trusted):
    secure = Receiver(certificate=trusted)
    secure.start()
    try:
        by_name = post(
            secure.url.replace("127.0.0.1", "localhost"), require_https=True
        )
        # The certificate names localhost only: the name, not the address
        # the connection went to, is what TLS checks (and sends as SNI).
        by_address = post(secure.url, require_https=True)
    finally:
        secure.stop()

    assert (by_name.status_code, by_name.error) == (200, "")
    assert (by_address.status_code, by_address.error) == (None, "tls_error")
    assert len(secure.requests) == 1
    assert secure.requests[0].headers["Host"] == f"localhost:{secure.port}"


def test_an_untrusted_certificate_is_refused(certificate):
    secure = Receiver(certificate=certificate)
    secure.start()
    try:
        url = secure.url.replace("127.0.0.1", "localhost")
        attempt = post(url, require_https=True)
    finally:
        secure.stop()

    assert (attempt.status_code, attempt.error) == (None, "tls_error")
    assert secure.requests == []


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (b"", "protocol_error"),
        (b"SSH-2.0-OpenSSH_9.6\r\n", "protocol_error"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "protocol_error"),
        (None, "connection_error"),
    ],
    ids=["closed", "not-http", "bad-header", "reset"],
)
def test_a_broken_answer_fails(answer, error):
    with one_shot_server(answer) as port:
        attempt = post(f"http://127.0.0.1:{port}/hooks")

    assert (attempt.status_code, attempt.error) == (None, error)


# --- Servers that misbehave -------------------------------------------------


@contextlib.contextmanager
def serving(handle: Callable[[socket.socket], None]) -> Iterator[int]:
    """Accepts one connection on 127.0.0.1 and hands it to ``handle``."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(5)

    def run():
        with contextlib.suppress(OSError):
            connection, _ = listener.accept()
            with connection:
                handle(connection)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        thread.join()
        listener.close()


def one_shot_server(answer: bytes | None):
    """Reads a request, then sends ``answer`` and closes (None: resets)."""

    def handle(connection):
        # The whole request is read first: a reset while the client still
        # writes would be taken by its write, and its read see a clean end.
        received = b""
        while not received.endswith(BODY):
            chunk = connection.recv(65536)
            if not chunk:
                return
            received += chunk
        if answer is None:
            linger = struct.pack("ii", 1, 0)
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        else:
            connection.sendall(answer)

    return serving(handle)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[str, str]:
    """A self-signed certificate for localhost, and its key (paths)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    built = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost")]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(
        built.public_bytes(serialization.Encoding.PEM)
    )
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(folder / "cert.pem"), str(folder / "key.pem")


@pytest.fixture
def trusted(certificate, monkeypatch) -> Iterator[tuple[str, str]]:
    """``certificate``, trusted by the sender as httpx lets one be.

    (``SSL_CERT_FILE``, read when the sender's TLS context is built.)
    """
    monkeypatch.setenv("SSL_CERT_FILE", certificate[0])
    sending._tls_context.cache_clear()
    yield certificate
    sending._tls_context.cache_clear()
