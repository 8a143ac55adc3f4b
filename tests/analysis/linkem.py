#!/usr/bin/env python3
"""A link emulator for hosts without tc netem: a user-space bridge between
two interfaces of its own network namespace (AF_PACKET). Frames carrying
IPv6 with a hop-by-hop header to DST, from LEFT to RIGHT, are delayed by
DELAY_MS and every EVERY-th of them (the AT-th, counting from 0) is
dropped; everything else (neighbour discovery, the other direction) passes
at once. The drops are deterministic, so a test knows the true loss. On
SIGUSR1 it prints "linkem: matched=N dropped=N forwarded=N queued=N", at
SIGTERM the same without queued
(frames lost before it reads them, in its socket's buffer, are in none of
these: a test takes the truth from `forwarded`).

usage: linkem.py LEFT RIGHT DST DELAY_MS EVERY AT"""
import collections
import ipaddress
import select
import signal
import socket
import sys
import time

left, right, dst = sys.argv[1], sys.argv[2], ipaddress.IPv6Address(sys.argv[3]).packed
delay, every, at = float(sys.argv[4]) / 1e3, int(sys.argv[5]), int(sys.argv[6])
ETH_P_ALL = 3
stop = report = False


def on_term(*_):
    global stop
    stop = True


def on_usr1(*_):
    global report
    report = True


def open_sock(dev):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((dev, 0))
    s.setblocking(False)
    return s


def main():
    global report
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGUSR1, on_usr1)
    a, b = open_sock(left), open_sock(right)
    queue = collections.deque()
    matched = dropped = forwarded = 0
    print("linkem: ready", flush=True)
    while not stop:
        now = time.monotonic()
        timeout = max(0.0, queue[0][0] - now) if queue else 0.2
        try:
            ready, _, _ = select.select([a, b], [], [], timeout)
        except InterruptedError:
            continue
        for s in ready:
            while True:
                try:
                    frame, addr = s.recvfrom(65535)
                except (BlockingIOError, InterruptedError):
                    break
                if addr[2] == socket.PACKET_OUTGOING:
                    continue
                target = (s is a and len(frame) >= 54 and frame[12:14] == b"\x86\xdd" and frame[20] == 0
                          and frame[38:54] == dst)
                if not target:
                    (b if s is a else a).send(frame)
                    continue
                if every and matched % every == at:
                    dropped += 1
                else:
                    queue.append((time.monotonic() + delay, frame))
                matched += 1
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            b.send(queue.popleft()[1])
            forwarded += 1
        if report:
            report = False
            print(f"linkem: matched={matched} dropped={dropped} forwarded={forwarded} queued={len(queue)}", flush=True)
    print(f"linkem: matched={matched} dropped={dropped} forwarded={forwarded}", flush=True)


if __name__ == "__main__":
    main()
