"""A backend for the balancing-proxy tests, run as its own process on 127.0.0.1.

``python backend.py NAME PORT`` serves a small WSGI app with waitress:

* ``GET /?delay=S`` — ``{"backend": NAME}`` after ``S`` seconds;
* ``GET /big?mb=N`` — ``N`` MiB of bytes, streamed 64 KiB at a time;
* ``POST /post`` — reads the body; prints ``SEEN <X-Request-Tag>`` to stdout, answers its name;
* ``GET /slow?seconds=S`` — answers after ``S`` seconds.

``python backend.py NAME PORT --reset`` is a raw socket server instead: it reads each request's head and
body, prints ``SEEN <method> <X-Request-Tag>``, and resets the connection without answering — the
backend that dies after the request reached it.
"""

from __future__ import annotations

import json
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs


def make_app(name: str) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        path = environ["PATH_INFO"]
        if path == "/big":
            total = int(float(query.get("mb", "1")) * 1024 * 1024)
            block = bytes(range(256)) * 256  # 64 KiB

            def chunks() -> Iterator[bytes]:
                sent = 0
                while sent < total:
                    piece = block[: total - sent]
                    sent += len(piece)
                    yield piece

            start_response(
                "200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(total))]
            )
            return chunks()
        if path == "/post":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            print("SEEN", environ.get("HTTP_X_REQUEST_TAG", "-"), len(body), flush=True)
        delay = float(query.get("delay", query.get("seconds", "0")))
        if delay:
            time.sleep(delay)
        out = json.dumps({"backend": name, "method": environ["REQUEST_METHOD"]}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(out)))])
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [out]  # waitress would send it

    return app


def reset_server(name: str, port: int) -> None:
    listener = socket.create_server(("127.0.0.1", port))

    def handle(conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                piece = conn.recv(65536)
                if not piece:
                    return
                data += piece
            head, _, body = data.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = {
                k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])
            }
            length = int(headers.get("content-length", "0"))
            while len(body) < length:
                piece = conn.recv(65536)
                if not piece:
                    break
                body += piece
            print("SEEN", lines[0].split()[0], headers.get("x-request-tag", "-"), flush=True)
            # SO_LINGER 0: close() sends RST, the way a crashed process's connection ends
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    while True:
        conn, _ = listener.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def main() -> None:
    name, port = sys.argv[1], int(sys.argv[2])
    if "--reset" in sys.argv:
        reset_server(name, port)
        return
    from waitress import serve

    serve(make_app(name), host="127.0.0.1", port=port, threads=8, ident=name, _quiet=True)


if __name__ == "__main__":
    main()
