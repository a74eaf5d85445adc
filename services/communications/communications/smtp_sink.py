"""A local SMTP server that keeps what it receives: for development, the tests and the benchmark.

    python -m communications.smtp_sink --port 2525 --dir /tmp/mail [--save]

Every accepted message adds a line ``<Message-ID>\\t<recipient>`` to ``DIR/deliveries.log``
(flushed at once) and, with ``--save``, the whole message as ``DIR/<n>.eml``. Test behaviour by
recipient address: one containing ``bounce`` is refused at RCPT with ``550`` (a permanent
failure), one containing ``tempfail`` gets ``451`` the first time it is tried (then accepted).
Needs ``aiosmtpd`` (a test requirement, not a service dependency).
"""

import argparse
import asyncio
import email
import email.policy
import itertools
import os
import signal
from pathlib import Path


class Sink:
    def __init__(self, directory, save):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.save = save
        self.log = open(self.directory / "deliveries.log", "a", buffering=1)
        self.counter = itertools.count(1)
        self.tempfailed = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "bounce" in address:
            return "550 5.1.1 No such user here"
        if "tempfail" in address and address not in self.tempfailed:
            self.tempfailed.add(address)
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode()
        message_id = ""
        header_end = data.find(b"\r\n\r\n")
        for line in data[: header_end if header_end >= 0 else len(data)].split(b"\r\n"):
            if line[:11].lower() == b"message-id:":
                message_id = line[11:].strip().decode("ascii", "replace")
                break
        number = next(self.counter)
        if self.save:
            path = self.directory / f"{number:07d}.eml"
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        for rcpt in envelope.rcpt_tos:
            self.log.write(f"{message_id}\t{rcpt}\n")
        return "250 Message accepted"


def read_messages(directory):
    """The saved messages, parsed, in the order received."""
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in sorted(Path(directory).glob("*.eml"))
    ]


def read_deliveries(directory):
    """``[(message_id, recipient)]`` in the order received."""
    path = Path(directory) / "deliveries.log"
    if not path.exists():
        return []
    return [tuple(line.split("\t", 1)) for line in path.read_text().splitlines() if "\t" in line]


def main():
    from aiosmtpd.controller import Controller

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--save", action="store_true")
    args = parser.parse_args()
    controller = Controller(
        Sink(args.dir, args.save),
        hostname=args.host,
        port=args.port,
        data_size_limit=10_000_000,
        decode_data=False,
    )
    controller.start()
    (Path(args.dir) / "ready").write_text(str(args.port))
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        loop.run_until_complete(stop.wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    main()


class SinkProcess:
    """The sink in a process of its own, for tests and benchmarks (a process under eventlet, such
    as a test run, does not agree with aiosmtpd's asyncio thread)."""

    def __init__(self, directory, port, save=True, python=None, cwd=None):
        import subprocess
        import sys
        import time

        self.dir = Path(directory)
        self.port = port
        argv = [
            python or sys.executable,
            "-m",
            "communications.smtp_sink",
            "--port",
            str(port),
            "--dir",
            str(self.dir),
        ]
        self.process = subprocess.Popen(
            argv + (["--save"] if save else []), cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 15
        while not (self.dir / "ready").exists():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError("the SMTP sink did not start")
            time.sleep(0.05)

    def messages(self):
        return read_messages(self.dir)

    def deliveries(self):
        return read_deliveries(self.dir)

    def to(self, address, timeout=15, count=1):
        """The messages to ``address``, waiting up to ``timeout`` seconds for ``count`` of them."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in self.messages() if address in str(m["To"])]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.1)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except Exception:  # noqa: BLE001
                self.process.kill()
