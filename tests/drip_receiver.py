"""A receiver that answers slowly on purpose: it reads the request, sends a status line, then
drips its headers one byte at a time, so no single read ever waits long (httpx's per-read
timeout never fires). It counts, per webhook-id, how many requests are in flight at once."""

import socket
import threading
import time
from collections import Counter


class DripReceiver:
    def __init__(self, *, interval: float, hold: float):
        self.interval, self.hold = interval, hold
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/masking-events"
        self.lock = threading.Lock()
        self.in_flight: Counter[str] = Counter()
        self.most_in_flight: Counter[str] = Counter()
        self.received: list[str] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head = data.split(b"\r\n\r\n")[0].decode()
            headers = dict(line.split(": ", 1) for line in head.split("\r\n")[1:] if ": " in line)
            webhook_id = {k.lower(): v for k, v in headers.items()}["webhook-id"]
            with self.lock:
                self.received.append(webhook_id)
                self.in_flight[webhook_id] += 1
                self.most_in_flight[webhook_id] = max(
                    self.most_in_flight[webhook_id], self.in_flight[webhook_id]
                )
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\nX-Drip: ")
                ends = time.monotonic() + self.hold
                while time.monotonic() < ends:
                    conn.sendall(b"a")
                    time.sleep(self.interval)
                conn.sendall(b"\r\nContent-Length: 0\r\n\r\n")
            except OSError:
                pass  # the sender gave up
            finally:
                with self.lock:
                    self.in_flight[webhook_id] -= 1

    def close(self) -> None:
        self.server.close()


class KeepAliveDripReceiver:
    """One connection kept alive: the first request on it gets `first_answer` at once, every
    later one the drip (a status line, then a header a byte at a time for `hold` seconds). It
    counts the connections it accepted."""

    def __init__(self, *, first_answer: bytes, interval: float, hold: float):
        self.first_answer, self.interval, self.hold = first_answer, interval, hold
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/out-of-session"
        self.connections = 0
        self.requests = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _read_request(self, conn: socket.socket, pending: bytes) -> bytes | None:
        while b"\r\n\r\n" not in pending:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            pending += chunk
        head, rest = pending.split(b"\r\n\r\n", 1)
        length = 0
        for line in head.decode().split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        while len(rest) < length:
            rest += conn.recv(65536)
        return rest[length:]

    def _serve(self, conn: socket.socket) -> None:
        pending = b""
        with conn:
            try:
                while (pending := self._read_request(conn, pending)) is not None:
                    self.requests += 1
                    if self.requests == 1:
                        conn.sendall(
                            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                            b"Content-Length: %d\r\n\r\n%s"
                            % (len(self.first_answer), self.first_answer)
                        )
                        continue
                    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Drip: ")
                    ends = time.monotonic() + self.hold
                    while time.monotonic() < ends:
                        conn.sendall(b"a")
                        time.sleep(self.interval)
                    return
            except OSError:
                pass  # the sender gave up

    def close(self) -> None:
        self.server.close()
