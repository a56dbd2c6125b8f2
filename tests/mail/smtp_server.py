#!/usr/bin/python3
"""A real SMTP server on loopback for Quire's mail tests (Debian's python3-aiosmtpd).

  smtp_server.py --dir DIR [--mode accept|refuse|drop] [--user U --password P]

Prints "PORT <n>" once it listens, then serves until killed. Modes:
  accept  every message is taken and written to DIR/<n>.eml (n = 1, 2, ...)
  refuse  recipients starting "nobody" get 550 5.1.1, "later" get 451 4.3.0, others as accept
  drop    the connection is cut when the message data would be sent
With --user and --password, AUTH is required (offered without TLS: the server is on
loopback) and only that pair is accepted (535 otherwise).
"""
import argparse
import os
import socket
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Handler:
    def __init__(self, directory, mode):
        self.directory = directory
        self.mode = mode
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.mode == "refuse" and address.startswith("nobody"):
            return "550 5.1.1 <%s>: no such user here" % address
        if self.mode == "refuse" and address.startswith("later"):
            return "451 4.3.0 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.mode == "drop":
            server.transport.abort()
            return "421 gone"
        self.count += 1
        path = os.path.join(self.directory, "%d.eml" % self.count)
        with open(path + ".tmp", "wb") as f:
            f.write(b"X-Envelope-From: " + envelope.mail_from.encode() + b"\r\n")
            f.write(b"X-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(envelope.original_content)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 OK queued as %d" % self.count


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--mode", default="accept", choices=["accept", "refuse", "drop"])
    p.add_argument("--user")
    p.add_argument("--password")
    a = p.parse_args()
    kwargs = {}
    if a.user:
        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and \
                auth_data.login.decode() == a.user and auth_data.password.decode() == a.password
            return AuthResult(success=ok, handled=False)  # handled=False: it answers 535
        kwargs = dict(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    port = free_port()
    controller = Controller(Handler(a.dir, a.mode), hostname="127.0.0.1", port=port,
                            server_kwargs=kwargs)
    controller.start()
    print("PORT %d" % port, flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main())
