#!/usr/bin/env python3
"""delayproxy.py: a TCP proxy on 127.0.0.1 that delays every byte by a fixed
time in each direction, for bench/sftp.sh when the kernel has no netem.

usage: delayproxy.py PORTFILE TARGET_PORT ONE_WAY_MS

Listens on a free port of 127.0.0.1 (written to PORTFILE once it listens)
and forwards every connection to 127.0.0.1:TARGET_PORT.  What arrives from
one side is sent on to the other ONE_WAY_MS later, however much is in
flight: a link with that delay and no bandwidth limit of its own (the
round trip adds 2 * ONE_WAY_MS).  Reading and writing run in threads of
their own per direction, so the delay does not slow the stream down.
"""
import collections
import os
import socket
import sys
import threading
import time


class Direction:
    def __init__(self, src, dst, delay):
        self.src, self.dst, self.delay = src, dst, delay
        self.q = collections.deque()
        self.cv = threading.Condition()
        self.eof = False

    def read(self):
        try:
            while True:
                data = self.src.recv(1 << 20)
                if not data:
                    break
                with self.cv:
                    self.q.append((time.monotonic() + self.delay, data))
                    self.cv.notify()
        except OSError:
            pass
        with self.cv:
            self.eof = True
            self.cv.notify()

    def write(self):
        try:
            while True:
                with self.cv:
                    while not self.q and not self.eof:
                        self.cv.wait()
                    if not self.q:
                        break
                    due, data = self.q.popleft()
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                self.dst.sendall(data)
            self.dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def serve(client, target, delay):
    try:
        server = socket.create_connection(("127.0.0.1", target))
    except OSError:
        client.close()
        return
    threads = []
    for s in (client, server):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for src, dst in ((client, server), (server, client)):
        d = Direction(src, dst, delay)
        threads += [threading.Thread(target=d.read, daemon=True),
                    threading.Thread(target=d.write, daemon=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    client.close()
    server.close()


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    portfile, target = sys.argv[1], int(sys.argv[2])
    delay = float(sys.argv[3]) / 1000.0
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    with open(portfile + ".new", "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.rename(portfile + ".new", portfile)
    while True:
        client, _ = srv.accept()
        threading.Thread(target=serve, args=(client, target, delay),
                         daemon=True).start()


if __name__ == "__main__":
    main()
