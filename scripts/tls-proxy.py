#!/usr/bin/env python3
"""A TLS-terminating reverse proxy on 127.0.0.1, for testing https targets (tests/https_target.rs).

    scripts/tls-proxy.py CERT.pem KEY.pem PORT BACKEND_URL

Serves https://127.0.0.1:PORT with CERT/KEY and relays every request (method, path, headers,
body) to BACKEND_URL over plain HTTP, and its answer back, redirects included (never
followed). Prints "ready" on stdout once listening. Standard library only.
"""
import http.client
import http.server
import ssl
import sys
from urllib.parse import urlsplit

HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


def main() -> None:
    cert, key, port, backend = sys.argv[1], sys.argv[2], int(sys.argv[3]), urlsplit(sys.argv[4])

    class Relay(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def relay(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
            conn = http.client.HTTPConnection(backend.hostname, backend.port, timeout=30)
            conn.request(self.command, self.path, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
            self.send_response(answer.status, answer.reason)
            for k, v in answer.getheaders():
                if k.lower() not in HOP:
                    self.send_header(k, v)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            conn.close()

        do_GET = do_POST = do_PUT = do_DELETE = do_OPTIONS = relay

        def log_message(self, *args) -> None:  # quiet
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Relay)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
