"""`python benchmarks/sink.py PORT`: an OTLP/HTTP endpoint that accepts every export and keeps
nothing, so that a benchmark pays what the services pay to export spans to a collector, and no
collector's own cost."""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Sink(BaseHTTPRequestHandler):
    # Keep-alive, as a collector's receiver does: the exporters reuse their connection.
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        # An empty ExportTraceServiceResponse is zero bytes of protobuf: "all accepted".
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
