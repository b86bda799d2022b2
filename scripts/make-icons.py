#!/usr/bin/env python3
"""Draws the PNG app icons (the same picture as web/icons/icon.svg) with the standard library."""
import struct
import sys
import zlib
from pathlib import Path

RED = (0xB3, 0x26, 0x1E)
WHITE = (0xFF, 0xFF, 0xFF)


def blend(c, a):
    return tuple(round(x * a + r * (1 - a)) for x, r in zip(c, RED))


def pixel(x, y, n, maskable):
    u, v = x * 64 / n, y * 64 / n
    if maskable:  # keep the bars inside the 80% safe zone
        u, v = 32 + (u - 32) / 0.8, 32 + (v - 32) / 0.8
    for top, width, alpha in ((14, 44, 1.0), (28, 30, 0.85), (42, 18, 0.7)):
        if 10 <= u < 10 + width and top <= v < top + 10:
            return blend(WHITE, alpha)
    if not maskable:  # rounded corners
        r = 12
        cx = min(max(u, r), 64 - r)
        cy = min(max(v, r), 64 - r)
        if (u - cx) ** 2 + (v - cy) ** 2 > r * r:
            return None
    return RED


def png(n, maskable):
    rows = bytearray()
    for y in range(n):
        rows.append(0)
        for x in range(n):
            p = pixel(x + 0.5, y + 0.5, n, maskable)
            rows.extend((*p, 255) if p else (0, 0, 0, 0))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", n, n, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b""))


out = Path(sys.argv[1] if len(sys.argv) > 1 else "web/icons")
for name, n, m in (("icon-192.png", 192, False), ("icon-512.png", 512, False), ("icon-512-maskable.png", 512, True)):
    (out / name).write_bytes(png(n, m))
