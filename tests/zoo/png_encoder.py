"""A PNG encoder for the tests of the 16-bit reader (restore.png): it writes what PIL cannot,
16-bit RGB, RGBA and grey-alpha files, with a random filter on each scanline, optionally
Adam7-interlaced, so that the reader meets every filter and both layouts."""

import struct
import zlib

import numpy as np

ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2))
COLOUR_TYPES = {3: 2, 4: 6, 2: 4}   # bands -> PNG colour type: RGB, RGBA, grey-alpha


def _filtered(pixels, kinds):
    """Scanlines of ``pixels`` ``(h, w, bytes)`` filtered by ``kinds`` (each 0..4), each
    preceded by its filter byte, as the PNG specification defines the filters."""
    x = pixels.astype(np.int32)
    left = np.zeros_like(x)
    left[:, 1:] = x[:, :-1]
    up = np.zeros_like(x)
    up[1:] = x[:-1]
    corner = np.zeros_like(x)
    corner[1:, 1:] = x[:-1, :-1]
    estimate = left + up - corner
    to_left, to_up, to_corner = (abs(estimate - v) for v in (left, up, corner))
    paeth = np.where((to_left <= to_up) & (to_left <= to_corner), left,
                     np.where(to_up <= to_corner, up, corner))
    predictions = [np.zeros_like(x), left, up, (left + up) // 2, paeth]
    rows = [np.concatenate([[kind], ((x[r] - predictions[kind][r]) & 0xFF).ravel()])
            for r, kind in enumerate(kinds)]
    return np.array(rows, dtype=np.uint8).tobytes()


def _chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def encode(samples, *, seed=0, interlace=False, exif=None):
    """The bytes of a 16-bit PNG holding ``samples`` ``(H, W, bands)`` (uint16)."""
    height, width, bands = samples.shape
    stored = samples.astype(">u2").view(np.uint8).reshape(height, width, bands * 2)
    kinds = np.random.default_rng(seed)
    data = b""
    for x0, y0, dx, dy in ADAM7 if interlace else ((0, 0, 1, 1),):
        part = stored[y0::dy, x0::dx]
        if part.size:
            data += _filtered(part, kinds.integers(0, 5, len(part)))
    header = struct.pack(">IIBBBBB", width, height, 16, COLOUR_TYPES[bands], 0, 0, int(interlace))
    extra = _chunk(b"eXIf", exif) if exif is not None else b""
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + extra
            + _chunk(b"IDAT", zlib.compress(data)) + _chunk(b"IEND", b""))
