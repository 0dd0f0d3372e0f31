#!/usr/bin/env python3
"""cutproxy.py: a TCP proxy on 127.0.0.1 that cuts connections, for the
SFTP fault tests.

usage: cutproxy.py PORTFILE TARGET_PORT LOG [CUT...]

Listens on a free port of 127.0.0.1 (written to PORTFILE once it listens)
and forwards every connection to 127.0.0.1:TARGET_PORT.  Connection k
(counting from 0) is cut after CUT[k] bytes: "N" bytes from the client,
"dN" bytes to the client; "-" and connections beyond the list are never
cut.  A cut forwards exactly N bytes, then closes both sides.  Every
connection ends with a line in LOG: "conn K up BYTES down BYTES cut|end".
"""
import os
import socket
import sys
import threading


class Conn:
    def __init__(self, k, client, server, spec, log):
        self.k, self.log = k, log
        self.socks = (client, server)
        self.count = [0, 0]          # up (client -> server), down
        self.limit = [None, None]
        if spec != "-":
            down = spec.startswith("d")
            self.limit[1 if down else 0] = int(spec[1:] if down else spec)
        self.lock = threading.Lock()
        self.closed = False

    def close(self, how):
        with self.lock:
            if self.closed:
                return
            self.closed = True
        for s in self.socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self.log.write("conn %d up %d down %d %s\n"
                       % (self.k, self.count[0], self.count[1], how))

    def pump(self, d):
        src, dst = self.socks[d], self.socks[1 - d]
        try:
            while True:
                data = src.recv(1 << 18)
                if not data:
                    break
                limit = self.limit[d]
                if limit is not None and self.count[d] + len(data) >= limit:
                    dst.sendall(data[:limit - self.count[d]])
                    self.count[d] = limit
                    self.close("cut")
                    return
                dst.sendall(data)
                self.count[d] += len(data)
        except OSError:
            pass
        self.close("end")


def serve(k, client, target, spec, log):
    try:
        server = socket.create_connection(("127.0.0.1", target))
    except OSError:
        client.close()
        return
    for s in (client, server):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn = Conn(k, client, server, spec, log)
    up = threading.Thread(target=conn.pump, args=(0,), daemon=True)
    up.start()
    conn.pump(1)
    up.join()


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    portfile, target, logfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    cuts = sys.argv[4:]
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    log = open(logfile, "a", buffering=1)
    with open(portfile + ".new", "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.rename(portfile + ".new", portfile)
    k = 0
    while True:
        client, _ = srv.accept()
        spec = cuts[k] if k < len(cuts) else "-"
        threading.Thread(target=serve, args=(k, client, target, spec, log),
                         daemon=True).start()
        k += 1


if __name__ == "__main__":
    main()
