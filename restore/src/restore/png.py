"""The 16-bit PNG files that PIL narrows to 8 bits: colour (RGB), colour with alpha (RGBA) and
grey with alpha (LA), read here with all 16 bits of every sample, and 16-bit PNGs of any bands
written (:func:`write_deep`, which PIL cannot do for colour).

PIL reads 16-bit grey PNGs whole (mode ``I;16``) but gives 16-bit colour and grey-alpha ones as
8-bit images, so :func:`restore.images.read_image` reads those through :func:`read_deep`. This
is a decoder of the PNG specification (W3C, "Portable Network Graphics (PNG) Specification",
third edition, 2025): the chunks, with their CRCs checked; zlib, with its output bounded by the
size the header declares; the five scanline filters (section 7.3 and 9); and Adam7 interlacing
(section 8.2). The filters are undone along anti-diagonals of pixels, all pixels of one
diagonal at once, since each pixel depends only on its left, upper and upper-left neighbours.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"

BANDS = {2: "RGB", 4: "LA", 6: "RGBA"}
"""The PNG colour types read here, by their bands."""

COLOUR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}
"""The PNG colour type of each number of bands: grey, grey-alpha, RGB, RGBA."""

ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2))
"""The seven passes of Adam7 interlacing: first column, first row, column step, row step."""


def deep_bands(path: str | os.PathLike[str]) -> str | None:
    """``"RGB"``, ``"RGBA"`` or ``"LA"`` when ``path`` is a 16-bit PNG of those bands (what
    :func:`read_deep` reads); None for any other file."""
    with open(path, "rb") as file:
        head = file.read(33)
    if len(head) < 33 or head[:8] != SIGNATURE or head[12:16] != b"IHDR":
        return None
    bit_depth, colour_type = head[24], head[25]
    return BANDS.get(colour_type) if bit_depth == 16 else None


def read_deep(path: str | os.PathLike[str]) -> np.ndarray:
    """The samples of a 16-bit RGB, RGBA or grey-alpha PNG as ``(H, W, bands)`` ``uint16``.

    Raises:
        ValueError: the file is not such a PNG, or is truncated or corrupt (a CRC that does
            not match, compressed data that is short or too long, an unknown filter).
    """
    path = Path(path)
    data = path.read_bytes()
    if data[:8] != SIGNATURE:
        raise ValueError(f"{path} is not a PNG file")
    header, compressed = None, []
    position = 8
    while True:
        if position + 8 > len(data):
            raise ValueError(f"{path} is truncated: it ends before its IEND chunk")
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        crc = data[position + 8 + length:position + 12 + length]
        if len(body) < length or len(crc) < 4:
            raise ValueError(f"{path} is truncated in its {kind.decode('latin-1')} chunk")
        if zlib.crc32(kind + body) != struct.unpack(">I", crc)[0]:
            raise ValueError(f"{path} is corrupt: the CRC of its {kind.decode('latin-1')} chunk "
                             "does not match")
        position += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            compressed.append(body)
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError(f"{path} has no IHDR chunk")
    width, height, bit_depth, colour_type, _, filter_method, interlace = header
    if bit_depth != 16 or colour_type not in BANDS or filter_method != 0 or interlace > 1:
        raise ValueError(f"{path} is not a 16-bit RGB, RGBA or grey-alpha PNG")
    bands = len(BANDS[colour_type])
    passes = ADAM7 if interlace else ((0, 0, 1, 1),)
    shapes = [(-(-(height - y0) // dy), -(-(width - x0) // dx))
              for x0, y0, dx, dy in passes]
    expected = sum(h * (1 + w * bands * 2) for h, w in shapes if h and w)
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(b"".join(compressed), expected + 1)
    except zlib.error as error:
        raise ValueError(f"{path} is corrupt: its image data does not decompress ({error})") \
            from error
    if len(raw) != expected:
        raise ValueError(f"{path} holds {len(raw):,} bytes of image data where its header "
                         f"implies {expected:,}")
    samples = np.empty((height, width, bands), dtype=np.uint16)
    start = 0
    for (x0, y0, dx, dy), (h, w) in zip(passes, shapes, strict=True):
        if not (h and w):
            continue
        size = h * (1 + w * bands * 2)
        rows = np.frombuffer(raw, np.uint8, size, start).reshape(h, 1 + w * bands * 2)
        start += size
        pixels = unfilter(rows[:, 0], rows[:, 1:].reshape(h, w, bands * 2), path)
        samples[y0::dy, x0::dx] = (pixels[..., 0::2].astype(np.uint16) << 8) | pixels[..., 1::2]
    return samples


def unfilter(kinds: np.ndarray, filtered: np.ndarray, path: Path) -> np.ndarray:
    """Undo the scanline filters: ``filtered`` ``(H, W, bytes per pixel)`` ``uint8``, with
    ``kinds[r]`` the filter of row ``r`` (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth)."""
    if kinds.size and int(kinds.max()) > 4:
        raise ValueError(f"{path} is corrupt: a scanline has the unknown filter "
                         f"{int(kinds.max())}")
    height, width, depth = filtered.shape
    # reconstructed bytes with a row of zeros above and a column of zeros to the left
    out = np.zeros((height + 1, width + 1, depth), dtype=np.int32)
    for diagonal in range(height + width - 1):
        r = np.arange(max(0, diagonal - width + 1), min(height - 1, diagonal) + 1)
        j = diagonal - r
        a, b, c = out[r + 1, j], out[r, j + 1], out[r, j]
        p = a + b - c
        pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
        paeth = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
        kind = kinds[r][:, None]
        prediction = np.select([kind == 1, kind == 2, kind == 3, kind == 4],
                               [a, b, (a + b) // 2, paeth], 0)
        out[r + 1, j + 1] = (filtered[r, j] + prediction) & 0xFF
    return out[1:, 1:].astype(np.uint8)


def write_deep(path: str | os.PathLike[str], samples: np.ndarray) -> None:
    """Write ``samples`` ``(H, W, bands)`` (``uint16``; 1 to 4 bands: grey, grey-alpha, RGB,
    RGBA) as a 16-bit PNG, atomically. Each scanline is stored with the Sub filter (the
    difference from the pixel to its left), which suits images that vary smoothly."""
    from samplers.folders import write_atomically

    if samples.dtype != np.uint16 or samples.ndim != 3 or samples.shape[2] not in COLOUR_TYPES:
        raise ValueError("samples must be uint16 (H, W, bands) with 1 to 4 bands, got "
                         f"{samples.dtype} {samples.shape}")
    height, width, bands = samples.shape
    stored = np.ascontiguousarray(samples, dtype=">u2").view(np.uint8).reshape(
        height, width, bands * 2)
    left = np.zeros_like(stored)
    left[:, 1:] = stored[:, :-1]
    filtered = (stored.astype(np.int16) - left).astype(np.uint8).reshape(height, -1)
    rows = np.concatenate([np.ones((height, 1), dtype=np.uint8), filtered], axis=1)
    header = struct.pack(">IIBBBBB", width, height, 16, COLOUR_TYPES[bands], 0, 0, 0)
    write_atomically(path, SIGNATURE + _chunk(b"IHDR", header)
                     + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + _chunk(b"IEND", b""))


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
