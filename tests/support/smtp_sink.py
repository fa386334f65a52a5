#!/usr/bin/python3
"""A real SMTP server for tests (Debian's python3-aiosmtpd): every message it accepts is written to a folder.

    smtp_sink.py --host 127.0.0.1 --dir OUT --port-file PORTFILE

Listens on a free port of HOST and writes that port to PORTFILE once it accepts connections. Each message becomes
OUT/msg-N.eml (the message as received) and OUT/msg-N.env (MAIL FROM on the first line, then one RCPT TO a line),
each written under a temporary name and renamed, so a reader never sees half a file. No TLS and no STARTTLS: a
client that demands TLS gets no further than EHLO. RCPT TO a nobody@ address is refused with 550. Runs until
SIGTERM.
"""
import argparse
import os
import signal
import socket
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0
        self.lock = threading.Lock()

    def _write(self, name, data):
        tmp = os.path.join(self.folder, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, os.path.join(self.folder, name))

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # A mailbox that does not exist, as a real server answers it: a permanent refusal.
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        self._write("msg-%d.eml" % n, content)
        self._write("msg-%d.env" % n, "\n".join([envelope.mail_from] + list(envelope.rcpt_tos)).encode("utf-8"))
        return "250 Message accepted for delivery"


def free_port(host):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port-file", required=True)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    controller = Controller(Sink(args.dir), hostname=args.host, port=free_port(args.host))
    controller.start()  # returns once the server answers
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(controller.port))
    os.rename(tmp, args.port_file)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
