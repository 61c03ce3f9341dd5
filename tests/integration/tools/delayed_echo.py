#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Answers ICMP echo requests to ADDRESS after DELAY_MS: a health target with a round-trip time of our choice.

The kernel here is built without netem (CONFIG_NET_SCH_NETEM is not set), so a link's delay cannot be made
with tc. For a health probe the round-trip time is all a delay would change, and this gives exactly that: the
namespace's own echo replies are turned off (net.ipv4.icmp_echo_ignore_all = 1, by the caller), and this
process answers each request to ADDRESS from ADDRESS once DELAY_MS have passed. Written by hand because no
Debian package answers pings late; a raw socket and a heap of due replies are the whole job.

Usage (inside the target's namespace): delayed_echo.py ADDRESS DELAY_MS
It prints "ready" once its socket is bound, and runs until killed.
"""

import heapq
import select
import socket
import struct
import sys
import time


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def reply_to(packet: bytes):
    """The echo reply to an IPv4 packet holding an echo request, and the request's source; None otherwise."""
    header_length = (packet[0] & 0x0F) * 4
    icmp = packet[header_length:]
    if len(icmp) < 8 or icmp[0] != 8:  # type 8: echo request
        return None
    body = b"\0\0\0\0" + icmp[4:]  # type 0 (reply), code 0, checksum 0; identifier, sequence and data as sent
    reply = body[:2] + struct.pack("!H", checksum(body)) + body[4:]
    return reply, socket.inet_ntoa(packet[12:16])


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    address, delay = sys.argv[1], float(sys.argv[2]) / 1000
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    sock.bind((address, 0))  # receives only what is sent to ADDRESS, and answers from it
    print("ready", flush=True)
    due = []  # (when, order, reply, destination)
    order = 0
    while True:
        timeout = max(0.0, due[0][0] - time.monotonic()) if due else None
        readable, _, _ = select.select([sock], [], [], timeout)
        if readable:
            packet = sock.recv(65535)
            answer = reply_to(packet)
            if answer:
                heapq.heappush(due, (time.monotonic() + delay, order, *answer))
                order += 1
        now = time.monotonic()
        while due and due[0][0] <= now:
            _, _, reply, destination = heapq.heappop(due)
            sock.sendto(reply, (destination, 0))


if __name__ == "__main__":
    sys.exit(main())
