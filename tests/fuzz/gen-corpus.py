#!/usr/bin/env python3
# Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/:
# well-formed datagrams of every routing type (padded and not), a value
# message, near-misses of each rejection, and lookup scripts.
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))


def hdr(mtype, body, flags=0, txid=0x01020304, token=bytes(8), sender=bytes(range(32))):
    return struct.pack(">HBBBBHI", 0x4B44, 1, mtype, flags, 0, len(body), txid) + token + sender + body


def padded(mtype, body, total, flags=0):
    pad = total - 52 - len(body)
    return hdr(mtype, body + bytes(pad - 2) + struct.pack(">H", pad), flags | 0x02)


def node(i, family=4):
    ip = bytes([10, 0, 0, i]) + bytes(12) if family == 4 else bytes([0x20, 1]) + bytes(13) + bytes([i])
    return bytes([i]) * 32 + bytes([family, 0]) + struct.pack(">H", 4650) + ip


def write(target, name, data):
    d = os.path.join(here, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


find_node = bytes([0x5A]) * 32 + bytes([3, 20, 0, 0])
nodes = bytes([3, 0, 0, 0]) + node(1) + node(2, 6) + node(3)
codec = {
    "ping": hdr(1, b""),
    "pong": hdr(2, b"", 0x01),
    "ping-padded": padded(1, b"", 120),
    "find-node": hdr(3, find_node),
    "find-node-padded": padded(3, find_node, 56 + 20 * 52),
    "nodes": hdr(4, nodes, 0x01),
    "nodes-empty": hdr(4, bytes(4), 0x01),
    "error": hdr(5, struct.pack(">HH", 1, 0), 0x01),
    "store": hdr(0x10, b"\x0a\x20" + bytes(32) + b"\x12\x05hello"),
    "bad-version": hdr(1, b"")[:2] + b"\x02" + hdr(1, b"")[3:],
    "bad-count": hdr(4, bytes([2, 0, 0, 0]) + node(1), 0x01),
    "bad-family": hdr(4, bytes([1, 0, 0, 0]) + node(1)[:32] + b"\x05" + node(1)[33:], 0x01),
    "truncated": hdr(3, find_node)[:70],
    "trailing": hdr(1, b"") + b"\x00",
    "bad-padding": padded(1, b"", 100)[:60] + b"\x01" + padded(1, b"", 100)[61:],
}
for name, data in codec.items():
    write("fuzz_codec", name, data)

# Lookup scripts: k, alpha, width, target byte, then operations
# (0 seed v, 1 send, 2 reply v n nodes..., 3 fail v, 4 time t, 5 candidate i replies n nodes...).
lookup = {
    "converge": bytes([3, 2, 4, 0x11, 0, 1, 0, 2, 0, 3, 1, 5, 0, 3, 4, 5, 6, 1, 5, 1, 2, 7, 8, 1, 5, 2, 0, 1]),
    "timeouts": bytes([2, 1, 0, 0x80, 0, 9, 0, 10, 1, 4, 20, 1, 4, 20, 1, 3, 10, 1]),
    "duplicates": bytes([1, 3, 9, 0x42, 0, 5, 1, 5, 0, 0, 5, 0, 0, 2, 77, 0, 4, 255, 4, 255]),
    "width": bytes([1, 1, 0, 0, 0, 200, 1, 2, 200, 20] + list(range(1, 21)) + [1, 4, 13]),
}
for name, data in lookup.items():
    write("fuzz_lookup", name, data)

# Core scripts: 0 raw datagram (addr, u16 length, bytes), 1 answer a sent request
# (which, flags, sender, token[8], n, nodes...), 2 time step, 3 lookup,
# 4 ping, 5 bootstrap.
tok = [9] * 8
core = {
    "bootstrap-join": bytes([5, 0, 1, 0, 0, 1] + tok + [1, 1, 0, 1] + tok + [4, 10, 11, 12, 13, 2, 30, 3, 0x11, 2, 255]),
    "raw-ping": bytes([0, 2, 0, 52]) + hdr(1, b"") + bytes([2, 5]),
    "raw-find-node": bytes([0, 3, 0, 88]) + hdr(3, find_node) + bytes([2, 1]),
    "raw-find-node-padded": bytes([0, 5, 4, 72]) + padded(3, find_node, 1096) + bytes([2, 1]),
    "timeouts": bytes([4, 1, 4, 2, 2, 30, 2, 30, 5, 3, 2, 200, 2, 200]),
}
for name, data in core.items():
    write("fuzz_core", name, data)
