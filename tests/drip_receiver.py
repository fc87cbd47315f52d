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
