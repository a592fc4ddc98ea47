#!/usr/bin/env python3
"""Writes the seed corpora of the train-format fuzz targets (framed_blob, shard_codec,
update_codec) into fuzz/corpus/<target>/. Each seed is one mode byte and then either a whole
frame (mode 0: raw bytes, CRC-32C computed here) or "header JSON\\npayload" (mode 1: the harness
frames it). Run from anywhere: python3 fuzz/make_train_seeds.py"""
import json
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def frame(magic: bytes, header: dict, payload: bytes) -> bytes:
    header = dict(header, payload_bytes=len(payload), payload_crc32c="%08x" % crc32c(payload))
    text = json.dumps(header, separators=(",", ":")).encode()
    return magic.ljust(8, b"\0") + struct.pack("<Q", len(text)) + text + payload


def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def both(target, name, magic, header, payload, raw_mode=b"\0", framed_mode=b"\1"):
    write(target, name + "_raw", raw_mode + frame(magic, header, payload))
    write(target, name + "_hdr", framed_mode + json.dumps(header).encode() + b"\n" + payload)


# framed_blob: magic SLFUZZ01 (the harness's)
both("framed_blob", "small", b"SLFUZZ01", {"kind": "x", "n": 3}, b"abc")
both("framed_blob", "empty", b"SLFUZZ01", {}, b"")
write("framed_blob", "sha256_hdr",
      b"\2" + json.dumps({"payload_bytes": 2, "payload_sha256":
                          "4a5a4f7d2b0d3b1d1e3c0b6d0e4a0a9ba2d5a3b1f1c3e5f7a9b1c3d5e7f9a1b3"})
      .encode() + b"\nhi")

# update_codec: round 3 shard 1 (what the harness asks for)
upd = {"round": 3, "shard": 1, "attempt": 0, "samples": 64, "steps": 2, "loss": 0.6931,
       "download_model_ms": 1.5, "download_shard_ms": 0.25, "compute_ms": 12.0}
both("update_codec", "update", b"SLUPDT01", upd, b"SLSTATE1" + struct.pack("<Q", 2) + b"{}",
     raw_mode=b"\0", framed_mode=b"\1")
both("update_codec", "null_loss", b"SLUPDT01", dict(upd, loss=None), b"")
both("update_codec", "other_round", b"SLUPDT01", dict(upd, round=2), b"w")

# shard_codec
dense = {"name": "fashion-mnist", "kind": "dense", "sample_shape": [1, 2, 2], "size": 2,
         "features": 8, "tokens": 0, "vocab_size": 0, "class_names": ["a", "b", "c"]}
both("shard_codec", "dense", b"SLSHARD1", dense,
     struct.pack("<8f", *[i / 8 for i in range(8)]) + struct.pack("<2q", 0, 2))
tokens = {"name": "spam", "kind": "tokens", "sample_shape": [], "size": 2, "features": 0,
          "tokens": 3, "vocab_size": 10, "class_names": ["ham", "spam"]}
both("shard_codec", "tokens", b"SLSHARD1", tokens,
     struct.pack("<2q", 1, 0) + struct.pack("<3q", 0, 1, 3) + struct.pack("<3i", 4, 9, 0))
both("shard_codec", "empty", b"SLSHARD1", dict(dense, size=0, features=0), b"")
