#!/usr/bin/env python3
"""Writes the example request files the README's curl lines use, from a real Fashion-MNIST test
image (Debian's dataset-fashion-mnist, /usr/share/datasets/fashion-mnist):

  request.json  a KServe v2 JSON request for the fmnist cnn: input "input__0", FP32, shape
                [1, 1, 28, 28], pixels on the model's scale: pixel value / 255, in [0, 1]
                (the model normalises them itself; raw 0..255 values saturate its answer)
  shirt.png     the same image as a 28x28 grayscale PNG (image/png bodies are scaled by the
                server)

Usage: make_examples.py [--index N] [--out DIR]   (default: test image 92, a shirt; the
files in examples/ were made with the defaults). Standard library only.
"""
import argparse
import gzip
import json
import os
import struct
import zlib

DATA = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot"]


def test_image(index):
    images = gzip.open(os.path.join(DATA, "t10k-images-idx3-ubyte.gz")).read()
    labels = gzip.open(os.path.join(DATA, "t10k-labels-idx1-ubyte.gz")).read()
    magic, count, rows, cols = struct.unpack(">IIII", images[:16])
    assert magic == 2051 and rows == 28 and cols == 28, (magic, rows, cols)
    if not 0 <= index < count:
        raise SystemExit(f"--index {index} is outside [0, {count})")
    start = 16 + index * 784
    return images[start:start + 784], labels[8 + index]


def png_gray(pixels, width, height):
    """A minimal 8-bit grayscale PNG (signature, IHDR, one IDAT, IEND)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows, 9)) +
            chunk(b"IEND", b""))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=int, default=92, help="Fashion-MNIST test image index")
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    args = ap.parse_args()
    pixels, label = test_image(args.index)
    # Four decimals: within 5e-5 of pixel/255, a quarter of the file size of full floats.
    data = [round(p / 255.0, 4) for p in pixels]
    request = {"id": f"fashion-mnist-test-{args.index}",
               "inputs": [{"name": "input__0", "shape": [1, 1, 28, 28], "datatype": "FP32",
                           "data": data}]}
    with open(os.path.join(args.out, "request.json"), "w") as f:
        json.dump(request, f, separators=(",", ":"))
        f.write("\n")
    with open(os.path.join(args.out, "shirt.png"), "wb") as f:
        f.write(png_gray(pixels, 28, 28))
    print(f"test image {args.index}: label {label} ({CLASSES[label]}) -> "
          f"{args.out}/request.json, {args.out}/shirt.png")


if __name__ == "__main__":
    main()
