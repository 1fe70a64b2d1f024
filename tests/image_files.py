"""Writers of the image files Pillow reads but cannot write: 16-bit colour
and grey+alpha PNG (every row filter of the PNG specification, so the
reader's unfiltering is exercised), and TIFF of any integer or float sample
type (BitsPerSample, SampleFormat), raw or deflate-compressed. Written
from the PNG 1.2 and TIFF 6.0 specifications."""
import struct
import zlib

import numpy

PNG_KIND = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> colour type (grey, grey+alpha, RGB, RGBA)


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return numpy.where((pa <= pb) & (pa <= pc), a, numpy.where(pb <= pc, b, c))


def _filtered(row, above, kind, bpp):
    """PNG filter ``kind`` (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth) of a
    row of bytes, as int arrays."""
    left = numpy.concatenate([numpy.zeros(bpp, int), row[:-bpp]])
    upleft = numpy.concatenate([numpy.zeros(bpp, int), above[:-bpp]])
    predictor = [0 * row, left, above, (left + above) // 2, _paeth(left, above, upleft)][kind]
    return (row - predictor) % 256


def write_png(path, samples, bits=16):
    """``samples`` (H, W) or (H, W, C), C = 2 grey+alpha, 3 RGB, 4 RGBA,
    unsigned, as a PNG of ``bits`` per sample; row i uses filter i mod 5."""
    a = numpy.asarray(samples)
    h, w = a.shape[:2]
    c = 1 if a.ndim == 2 else a.shape[2]
    rows = a.astype(">u2" if bits == 16 else "u1").reshape(h, -1).view(numpy.uint8).astype(int)
    bpp = c * bits // 8
    out, above = [], numpy.zeros(rows.shape[1], int)
    for i, row in enumerate(rows):
        out.append(bytes([i % 5]) + _filtered(row, above, i % 5, bpp).astype(numpy.uint8).tobytes())
        above = row

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    header = struct.pack(">IIBBBBB", w, h, bits, PNG_KIND[c], 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(b"".join(out))) + chunk(b"IEND", b""))


def write_tiff(path, samples, deflate=False):
    """``samples`` (H, W) grey or (H, W, 3|4) RGB[A] of any numpy integer or
    float type as a little-endian TIFF, one strip, raw or deflate."""
    a = numpy.asarray(samples)
    h, w = a.shape[:2]
    c = 1 if a.ndim == 2 else a.shape[2]
    data = a.astype(a.dtype.newbyteorder("<")).tobytes()
    data = zlib.compress(data) if deflate else data
    bits, fmt = a.dtype.itemsize * 8, {"u": 1, "i": 2, "f": 3}[a.dtype.kind]
    arrays = 8 + len(data)  # per-channel BitsPerSample and SampleFormat, after the strip
    short, long_ = 3, 4
    tags = [(256, long_, 1, w), (257, long_, 1, h), (259, short, 1, 8 if deflate else 1),
            (262, short, 1, 2 if c >= 3 else 1), (273, long_, 1, 8), (277, short, 1, c),
            (278, long_, 1, h), (279, long_, 1, len(data)), (284, short, 1, 1)]
    if c == 1:
        tags += [(258, short, 1, bits), (339, short, 1, fmt)]
        extra = b""
    else:
        tags += [(258, short, c, arrays), (339, short, c, arrays + 2 * c)]
        extra = struct.pack(f"<{c}H", *[bits] * c) + struct.pack(f"<{c}H", *[fmt] * c)
    if c == 4:
        tags.append((338, short, 1, 2))  # ExtraSamples: unassociated alpha
    entries = b"".join(struct.pack("<HHI", tag, kind, n) + (
        struct.pack("<HH", value, 0) if kind == short and n == 1 else struct.pack("<I", value))
        for tag, kind, n, value in sorted(tags))
    ifd = struct.pack("<H", len(tags)) + entries + struct.pack("<I", 0)
    path.write_bytes(b"II*\0" + struct.pack("<I", arrays + len(extra)) + data + extra + ifd)
