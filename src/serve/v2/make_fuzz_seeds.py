#!/usr/bin/env python3
"""Writes the seed corpus of v2_fuzz.cc into fuzz_corpus/ (next to this file): small valid KServe
v2 requests and responses, tiny valid PNGs (built here with zlib, no imaging library) and raw
pixel bodies. Deterministic; run again after changing it and commit the files."""
import json
import os
import struct
import zlib

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz_corpus")


def png(width, height, channels, pixel, claim=None):
    """A PNG of width x height pixels; `claim` (w, h) writes another size into its header."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    color_type = 0 if channels == 1 else 2
    rows = b"".join(b"\x00" + bytes([(pixel + x + y) % 256 for x in range(width)
                                     for _ in range(channels)]) for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", *(claim or (width, height)), 8, color_type,
                                       0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def request(shape, datatype, data, **extra):
    body = {"inputs": [{"name": "input__0", "shape": shape, "datatype": datatype, "data": data}]}
    body.update(extra)
    return json.dumps(body, separators=(",", ":")).encode()


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {
        "json_fp32_flat.json": request([1, 784], "FP32", [round(i / 784, 3) for i in range(784)],
                                       id="req-1"),
        "json_uint8_nested.json": request(
            [1, 1, 28, 28], "UINT8", [[[(x * y) % 256 for x in range(28)] for y in range(28)]],
            outputs=[{"name": "label"}, {"name": "class_name"}]),
        "json_int16_3x32x32.json": request([1, 3072], "INT16", [i % 7 for i in range(3072)],
                                           parameters={"binary_data_output": False}),
        "json_bytes.json": json.dumps({"id": "t", "inputs": [{
            "name": "text", "shape": [2, 1], "datatype": "BYTES",
            "data": [["free money now"], ["see you at lunch"]]}],
            "outputs": [{"name": "probabilities"}]}).encode(),
        "json_bad_shape.json": request([2, 27], "FP64", [1.5] * 54),
        "png_gray_28x28.png": png(28, 28, 1, 7),
        "png_rgb_32x32.png": png(32, 32, 3, 100),
        "png_rgb_4x4.png": png(4, 4, 3, 1),
        "raw_uint8_784.bin": bytes(i % 256 for i in range(784)),
        "raw_fp32_784.bin": struct.pack("<784f", *[i / 784 for i in range(784)]),
        "raw_uint8_3072.bin": bytes((i * 7) % 256 for i in range(3072)),
        # First byte 5 picks "image/png" as the content type of the rest (kContentTypes).
        "ct_index_png.bin": b"\x05" + png(28, 28, 1, 0),
        # The first line is the content type of the rest.
        "ct_line_octet.bin": b"application/octet-stream; x=1\n" + bytes(784),
        "response.json": json.dumps({
            "model_name": "m", "model_version": "1", "id": "r",
            "outputs": [
                {"name": "probabilities", "datatype": "FP32", "shape": [2, 3],
                 "data": [0.1, 0.2, 0.7, 0.5, 0.25, 0.25]},
                {"name": "label", "datatype": "INT64", "shape": [2], "data": [2, 0]},
                {"name": "class_name", "datatype": "BYTES", "shape": [2], "data": ["c", "a"]}]},
            separators=(",", ":")).encode(),
        "response_error.json": b'{"error":"inputs[0].shape: expected [n,1,28,28]"}',
        # Error paths that a 10-minute run did not reach from the seeds above (llvm-cov).
        "json_fp64_too_big.json": request([1, 784], "FP64", [1e39] + [0] * 783),
        "json_deep_nesting.json": request([1, 784], "FP32", json.loads("[" * 20 + "1" + "]" * 20)),
        "json_int8_nested.json": request([1, 1, 28, 28], "INT8", [[[-1] * 28] * 28]),
        "json_uint64.json": request([1, 784], "UINT64", [18446744073709551615] + [1] * 783),
        "json_two_inputs.json": json.dumps({"inputs": [
            {"name": "a", "shape": [1], "datatype": "BYTES", "data": ["x"]},
            {"name": "b", "shape": [1], "datatype": "BYTES", "data": ["y"]}]}).encode(),
        "json_wrong_types.json": json.dumps({
            "id": "w", "parameters": {"p": 1},
            "outputs": [{"name": "label", "parameters": {}}, "label"],
            "inputs": [{"name": "text", "shape": [1, 1, 1, 1, 1, 1, 1, 1, 1], "datatype": "BYTES",
                        "parameters": 3, "data": "x"}]}).encode(),
        "json_bytes_2x2.json": json.dumps({"inputs": [{
            "name": "text", "shape": [2, 2], "datatype": "BYTES",
            "data": [["a", 1], ["b", "c"]]}]}).encode(),
        "png_claims_5000_wide.png": png(1, 1, 1, 0, claim=(5000, 1)),
        # The JSON reader (json_reader.h): escaped keys, \u escapes and surrogate pairs, raw UTF-8,
        # a duplicate key, a byte order mark; number forms (exponents, -0, underflow, denormals).
        "json_escapes_utf8.json": b"\xef\xbb\xbf" + (
            '{"id":"\\u00e9\\ud83d\\ude00\\/\\t","\\u0069nputs":[{"n\\u0061me":"text",'
            '"shape":[2],"datatype":"BYTES","data":["caf\u00e9 \\"q\\" \\\\",'
            '"\U0001f600 \\ud83d\\ude00"],"name":"text"}]}').encode(),
        "json_number_forms.json": request(
            [1, 784], "FP64", [0] * 784).replace(
                b"[" + b",".join([b"0"] * 784) + b"]",
                b"[" + b",".join([b"-0", b"1E-3", b"1e-400", b"4.9e-324", b"1.5e+2", b"-0.0",
                                  b"2.5E1", b"0.1e1"] * 98) + b"]"),
        # Inputs that crashed an earlier codec (docs/benchmarks.md, "Fuzzing the KServe v2
        # parser"); kept as seeds so every run goes through them again.
        "regress_label_float.json": b'{"outputs":[{"name":"label","data":[1e300]}]}',
        "regress_probabilities_overflow.json":
            b'{"outputs":[{"name":"probabilities","shape":[4611686018427387904,4],"data":[]}]}',
        "regress_probabilities_zero_classes.json":
            b'{"outputs":[{"name":"probabilities","shape":[1099511627776,0],"data":[]}]}',
        # The first line is both the content type and the model name (v2_fuzz.cc).
        "regress_model_name_utf8.bin":
            b"application/json;\xcf\n" + request([1, 784], "UINT8", [0] * 784),
        # A 4096x4096 header on the pixels of a 1x1 image.
        "regress_png_claims_4096.png": png(1, 1, 3, 0, claim=(4096, 4096)),
    }
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
