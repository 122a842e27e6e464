#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0 OR MIT)
"""Writes the seed corpora of the daemon's fuzzers (tests/fuzz/corpus/<target>):
well-formed value bodies and control requests, encoded by hand so that no
protobuf library is needed. Run from anywhere; rewrites the seeds."""
import hashlib
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
PART = 864  # KDD_PART_LEN


def content_key(value):
    return hashlib.blake2b(value, digest_size=32).digest()


def name_key(scope, name):
    return hashlib.blake2b(scope + name, digest_size=32).digest()


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def field(num, wire, payload):
    key = varint(num << 3 | wire)
    if wire == 0:
        return key + varint(payload)
    return key + varint(len(payload)) + payload


def record(key, value, part=0, total=None, mutable=False, seq=0, sig=b"", name=b""):
    total = len(value) if total is None else total
    parts = max(1, (total + PART - 1) // PART)
    out = field(1, 2, key) + field(2, 2, value)
    if part:
        out += field(3, 0, part)
    out += field(4, 0, parts) + field(5, 0, total) + field(6, 0, 3600)
    out += field(7, 2, b"\x07" * 32)
    if seq:
        out += field(8, 0, seq)
    if mutable:
        out += field(9, 0, 1)
    if sig:
        out += field(10, 2, sig)
    if name:
        out += field(11, 2, name)
    return out


def store(key, rec, cas=False):
    return field(1, 2, key) + field(2, 2, rec) + (field(3, 0, 1) if cas else b"")


def find(key, part=0, min_seq=0):
    out = field(1, 2, key)
    if part:
        out += field(2, 0, part)
    if min_seq:
        out += field(3, 0, min_seq)
    return out


def node(i):
    return (field(1, 2, bytes([i]) * 32) + field(2, 0, 4) +
            field(3, 2, bytes([127, 0, 0, i])) + field(4, 0, 4650 + i))


def value(key, rec=None, nodes=0):
    out = field(1, 2, key)
    if rec:
        out += field(2, 2, rec)
    for i in range(1, nodes + 1):
        out += field(3, 2, node(i))
    return out


def ack(key, status=0, part=0, held=1, held_seq=0):
    out = field(1, 2, key) + field(2, 0, status) + field(3, 0, part)
    if held_seq:
        out += field(4, 0, held_seq)
    return out + field(5, 0, held)


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    k = content_key(b"hello")
    small = record(k, b"hello")
    part1 = record(k, b"x" * PART, part=1, total=2500)
    owner = b"\x07" * 32
    nk = name_key(owner, b"alice")
    mut = record(nk, b"v2", mutable=True, seq=7, sig=b"\x01" * 64, name=b"alice")
    bodies = {
        "store_small": store(k, small),
        "store_part": store(k, part1),
        "store_mutable": store(nk, mut),
        "store_cas": store(nk, mut, cas=True),
        "ack_conflict": ack(nk, status=9, held_seq=7),
        "find": find(k),
        "find_part": find(k, part=2, min_seq=5),
        "value_record": value(k, small),
        "value_nodes": value(k, nodes=3),
        "ack": ack(k),
    }
    for name, body in bodies.items():
        write("fuzz_vmsg", name, body)
    # fuzz_serve: one type-selector byte (0 STORE, 1 FIND_VALUE, 2 STORE_ACK,
    # 3 unknown; bit 7: a validated source), then the body.
    write("fuzz_serve", "store_small", b"\x80" + bodies["store_small"])
    write("fuzz_serve", "store_part", b"\x80" + bodies["store_part"])
    write("fuzz_serve", "store_mutable", b"\x80" + bodies["store_mutable"])
    write("fuzz_serve", "find", b"\x81" + bodies["find"])
    write("fuzz_serve", "find_unvalidated", b"\x01" + bodies["find"])
    write("fuzz_serve", "unknown", b"\x03" + bodies["ack"])
    write("fuzz_serve", "store_cas", b"\x80" + bodies["store_cas"])
    # fuzz_ctl: Request { oneof op }.
    put = field(2, 2, b"value") + field(3, 0, 60) + field(6, 2, b"alice") + field(8, 0, 3)
    write("fuzz_ctl", "put", field(1, 2, put))
    owned = field(2, 2, b"value") + field(6, 2, b"alice") + field(7, 2, b"\x01" * 64)
    write("fuzz_ctl", "put_owner_key", field(1, 2, owned))
    write("fuzz_ctl", "put_immutable", field(1, 2, field(2, 2, b"value")))
    write("fuzz_ctl", "get", field(2, 2, field(1, 2, k)))
    write("fuzz_ctl", "get_name", field(2, 2, field(3, 2, b"alice") + field(4, 2, owner)))
    write("fuzz_ctl", "ping", field(3, 2, field(1, 2, b"127.0.0.1:4650")))
    write("fuzz_ctl", "lookup", field(4, 2, field(1, 2, k)))
    write("fuzz_ctl", "routes", field(5, 2, b""))
    write("fuzz_ctl", "bootstrap", field(7, 2, field(1, 2, b"[::1]:4650")))


if __name__ == "__main__":
    main()
