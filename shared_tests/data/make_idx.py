#!/usr/bin/env python3
"""Write the small IDX files used by the data.idx cases (run from anywhere; deterministic).
Usage: make_idx.py [OUTDIR]   (default: this directory)

    u8_3x4.idx      unsigned byte 3x4, values 0, 20, ..., 220 then 255      (raw)
    u8_3x4.idx.gz   the same, gzip-compressed (mtime 0, so the bytes never change)
    u8_gzip_without_suffix.idx   the same gzip bytes under a name without .gz (the magic decides)
    u8_raw_named.gz the raw bytes under a .gz name (no gzip magic: read as raw)
    i32_2x3.idx     int32 2x3: -2147483648, -1, 0, 1, 65536, 2147483647
    f64_2x2x2.idx   float64 2x2x2: 0.5, -1.25, 3.0, 1e-300, -0.0, 2.0**60, 0.1, -7.75
    i8_5.idx        signed byte, 5 values: -128, -1, 0, 1, 127
    i16_2x2.idx     int16 2x2: -32768, -1, 1, 32767
    f32_3.idx       float32, 3 values: 0.1, -2.5, 1e30 (rounded to float32)
    truncated.idx   header says 3x4 unsigned bytes, only 5 data bytes follow
    bad_magic.idx   the first two bytes are not zero
    f32_empty.idx   float32 with one dimension of size 0 (no values: sum 0, head [])
    f64_0x3.idx     float64 0x3 (no values)
"""
import argparse
import gzip
import struct
from pathlib import Path

HERE = Path(__file__).resolve().parent


def idx(type_byte: int, dims: list[int], payload: bytes) -> bytes:
    return bytes([0, 0, type_byte, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + payload


def main(out: Path = HERE) -> None:
    out.mkdir(parents=True, exist_ok=True)
    u8 = bytes([0, 20, 40, 60, 80, 100, 120, 140, 160, 180, 220, 255])
    files = {
        "u8_3x4.idx": idx(0x08, [3, 4], u8),
        "i32_2x3.idx": idx(0x0C, [2, 3], struct.pack(">6i", -2147483648, -1, 0, 1, 65536, 2147483647)),
        "f64_2x2x2.idx": idx(0x0E, [2, 2, 2], struct.pack(">8d", 0.5, -1.25, 3.0, 1e-300, -0.0,
                                                           2.0 ** 60, 0.1, -7.75)),
        "i8_5.idx": idx(0x09, [5], struct.pack(">5b", -128, -1, 0, 1, 127)),
        "i16_2x2.idx": idx(0x0B, [2, 2], struct.pack(">4h", -32768, -1, 1, 32767)),
        "f32_3.idx": idx(0x0D, [3], struct.pack(">3f", 0.1, -2.5, 1e30)),
        "truncated.idx": idx(0x08, [3, 4], u8[:5]),
        "bad_magic.idx": bytes([1, 2]) + idx(0x08, [2], b"\x01\x02")[2:],
        "f32_empty.idx": idx(0x0D, [0], b""),
        "f64_0x3.idx": idx(0x0E, [0, 3], b""),
    }
    for name, data in files.items():
        (out / name).write_bytes(data)
    gz = gzip.compress(files["u8_3x4.idx"], mtime=0)
    (out / "u8_3x4.idx.gz").write_bytes(gz)
    (out / "u8_gzip_without_suffix.idx").write_bytes(gz)
    (out / "u8_raw_named.gz").write_bytes(files["u8_3x4.idx"])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir", nargs="?", type=Path, default=HERE, help="default: this directory")
    main(parser.parse_args().outdir)
