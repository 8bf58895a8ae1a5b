#!/usr/bin/env python3
"""Writes the instantiation benchmark's module: a 16-page memory whose first
1 MiB is one active data segment of pseudo-random bytes, and an empty
exported function `f` (plus the exported memory, so harnesses can check that
the segment really was copied).

The bytes are the little-endian words of xorshift32 seeded with 0x2545F491
(x ^= x << 13; x ^= x >> 17; x ^= x << 5), 262144 words; the harnesses
regenerate the same stream to verify the last instance's memory.

usage: gen_module.py OUT.wasm
"""
import sys

SEED = 0x2545F491
DATA_BYTES = 1 << 20


def leb_u32(v: int) -> bytes:
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def section(sid: int, payload: bytes) -> bytes:
    return bytes([sid]) + leb_u32(len(payload)) + payload


def name(s: str) -> bytes:
    return leb_u32(len(s)) + s.encode()


def data_bytes() -> bytes:
    out = bytearray()
    x = SEED
    for _ in range(DATA_BYTES // 4):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out += x.to_bytes(4, "little")
    return bytes(out)


def module() -> bytes:
    pages = DATA_BYTES // 65536
    types = section(1, leb_u32(1) + b"\x60\x00\x00")  # () -> ()
    funcs = section(3, leb_u32(1) + leb_u32(0))
    memory = section(5, leb_u32(1) + b"\x00" + leb_u32(pages))  # min only
    exports = section(7, leb_u32(2) + name("f") + b"\x00" + leb_u32(0)
                      + name("memory") + b"\x02" + leb_u32(0))
    body = b"\x00\x0b"  # no locals; end
    code = section(10, leb_u32(1) + leb_u32(len(body)) + body)
    seg = b"\x00" + b"\x41\x00\x0b" + leb_u32(DATA_BYTES) + data_bytes()
    data = section(11, leb_u32(1) + seg)
    return b"\0asm\1\0\0\0" + types + funcs + memory + exports + code + data


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with open(sys.argv[1], "wb") as f:
        f.write(module())
