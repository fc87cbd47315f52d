"""`outbound.Deadline` over TLS: the plain socket a TLS connection starts from is detached when
TLS wraps it, so a deadline that held on to it could shut nothing, and an https receiver
dripping its answer held the request as long as it liked. Callbacks and the out-of-session
request reach real receivers over https only."""

import socket
import ssl
import subprocess
import threading
import time

import httpx
import pytest

from masking import outbound


@pytest.fixture
def tls_drip(tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
         "-keyout", str(key), "-out", str(cert), "-days", "1"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = socket.create_server(("127.0.0.1", 0))

    def serve():
        while True:
            try:
                raw, _ = server.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(raw, server_side=True) as conn:
                    conn.recv(65536)
                    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Drip: ")
                    ends = time.monotonic() + 3
                    while time.monotonic() < ends:
                        conn.sendall(b"a")
                        time.sleep(0.05)
            except OSError:
                pass

    threading.Thread(target=serve, daemon=True).start()
    yield f"https://127.0.0.1:{server.getsockname()[1]}/"
    server.close()


def test_a_deadline_cuts_a_dripping_https_receiver(tls_drip, settings, monkeypatch):
    settings.MASKING_OUTBOUND_ALLOW_PRIVATE = True
    trusting = ssl.create_default_context()
    trusting.check_hostname, trusting.verify_mode = False, ssl.CERT_NONE
    monkeypatch.setattr(httpx, "create_ssl_context", lambda **kw: trusting)
    deadline = outbound.Deadline(0.4)
    started = time.monotonic()
    with pytest.raises(httpx.HTTPError), deadline, outbound.client(timeout=1.0) as http:
        http.post(tls_drip, content=b"{}")
    assert time.monotonic() - started < 0.8
    assert deadline.expired
