#!/usr/bin/python3
"""A real HTTP SMS gateway on loopback for Quire's SMS tests (Python's standard library).

  sms_gateway.py --dir DIR [--mode accept|error200|busy|refuse|drop] [--token T]

Prints "PORT <n>" once it listens, then serves until killed. Every request it takes is
written to DIR/<n>.json (n = 1, 2, ...): {"method", "path", "headers", "body"}. Modes:
  accept    200 {"count": 1, "list": [{"id": "<n>"}]}  (as SMSAPI answers)
  error200  200 {"error": 13, "message": "Invalid phone number"}  (SMSAPI's refusals)
  busy      503 to the first two requests, then as accept
  refuse    400 {"message": "The 'To' number is not a valid phone number."}  (as Twilio)
  drop      the connection is closed without an answer
With --token, a request without "Authorization: Bearer T" gets 401.
"""
import argparse
import json
import os
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class State:
    count = 0
    seen = 0


def make_handler(directory, mode, token):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, status, payload):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8") if length else ""
            State.seen += 1
            if mode == "drop":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if token and self.headers.get("Authorization") != "Bearer " + token:
                self.answer(401, {"error": 101, "message": "Authorization failed"})
                return
            if mode == "busy" and State.seen <= 2:
                self.answer(503, {"message": "try later"})
                return
            if mode == "refuse":
                self.answer(400, {"message": "The 'To' number is not a valid phone number."})
                return
            if mode == "error200":
                self.answer(200, {"error": 13, "message": "Invalid phone number"})
                return
            State.count += 1
            path = os.path.join(directory, "%d.json" % State.count)
            record = {"method": self.command, "path": self.path,
                      "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
            with open(path + ".tmp", "w", encoding="utf-8") as f:
                json.dump(record, f, ensure_ascii=False)
            os.rename(path + ".tmp", path)
            self.answer(200, {"count": 1, "list": [{"id": str(State.count)}]})

        do_GET = handle_any
        do_POST = handle_any
        do_PUT = handle_any

    return Handler


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--mode", default="accept",
                   choices=["accept", "error200", "busy", "refuse", "drop"])
    p.add_argument("--token")
    a = p.parse_args()
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(a.dir, a.mode, a.token))
    print("PORT %d" % port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
