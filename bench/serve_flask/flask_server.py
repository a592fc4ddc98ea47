#!/usr/bin/python3
"""The StraightLine paper's local baseline: Flask + PyTorch serving a TorchScript model, here
speaking the same KServe v2 REST subset as `straightline serve` so that `straightline load`
drives both with identical requests (bench/serve_vs_flask.sh).

Endpoints: GET /v2/health/live, /v2/health/ready, /v2/models/{m} (metadata: input__0 FP32
[-1, C, H, W]), POST /v2/models/{m}/infer with
  - application/json: {"inputs": [{"name", "shape": [n, ...], "datatype": FP32|FP64|UINT8,
    "data": flat or nested}]}; UINT8 data are pixels and are divided by 255 (as
    src/serve/v2/v2_codec.h does), other types are taken as raw-scale values;
  - application/octet-stream: one sample, numel UINT8 pixel bytes or 4*numel FP32 LE bytes;
  - the binary tensor data extension (Inference-Header-Content-Length: H): a JSON header of H
    bytes whose inputs[0] has parameters.binary_data_size, then the FP32 or UINT8 tensor.
Response: {"model_name", "model_version", "id", "outputs": [probabilities FP32 [n, classes],
label INT64 [n], class_name BYTES [n]]}; errors: 4xx {"error": "..."}.

Modes (--mode):
  single    the paper's configuration: Flask's own server, app.run(threaded=False) — one request
            at a time, one process;
  gunicorn  gunicorn (Debian python3-gunicorn) with --workers processes, each loading the model
            after the fork; --threads 1 is gunicorn's "sync" worker (no keep-alive), > 1 its
            "gthread" worker (keep-alive, a thread pool per process).
--torch-threads sets torch.set_num_threads in every process (default 1: one request per core).

  /usr/bin/python3 bench/serve_flask/flask_server.py --module OUT/fmnist-cnn.pt \
      --meta OUT/fmnist-cnn.json --port 8601 --mode single
"""
import argparse, json, os, sys

import torch
from flask import Flask, Response, request

DTYPES = {"FP32": torch.float32, "FP64": torch.float64, "UINT8": torch.uint8}


def create_app(module_path, meta_path, torch_threads):
    torch.set_num_threads(torch_threads)
    with open(meta_path) as f:
        meta = json.load(f)
    name = meta["name"]
    shape = list(meta["input_shape"])
    numel = 1
    for d in shape:
        numel *= d
    classes = meta["class_names"]
    model = torch.jit.load(module_path)
    model.eval()
    app = Flask(__name__)

    def error(code, msg):
        return Response(json.dumps({"error": msg}), status=code, mimetype="application/json")

    @app.get("/v2/health/live")
    @app.get("/v2/health/ready")
    def health():
        return Response("{}", mimetype="application/json")

    @app.get("/v2/models/<m>")
    def metadata(m):
        if m != name:
            return error(404, f"unknown model '{m}'")
        return {"name": name, "versions": ["1"], "platform": "pytorch_torchscript",
                "inputs": [{"name": "input__0", "datatype": "FP32", "shape": [-1] + shape}],
                "outputs": [{"name": "probabilities", "datatype": "FP32", "shape": [-1, len(classes)]},
                            {"name": "label", "datatype": "INT64", "shape": [-1]},
                            {"name": "class_name", "datatype": "BYTES", "shape": [-1]}]}

    @app.post("/v2/models/<m>/infer")
    def infer(m):
        if m != name:
            return error(404, f"unknown model '{m}'")
        ctype = (request.content_type or "application/json").split(";")[0].strip().lower()
        rid = ""
        header_len = request.headers.get("Inference-Header-Content-Length")
        if header_len is not None:
            body = request.get_data()
            try:
                h = int(header_len)
                req = json.loads(body[:h])
                inp = req["inputs"][0]
                n = int(inp["shape"][0])
                size = int(inp["parameters"]["binary_data_size"])
                dt = DTYPES[inp["datatype"]]
            except (ValueError, KeyError, TypeError, IndexError) as e:
                return error(400, f"binary tensor data request: {e}")
            rid = str(req.get("id", ""))
            if size != len(body) - h:
                return error(400, f"binary_data_size {size}, but {len(body) - h} bytes follow the header")
            x = torch.frombuffer(bytearray(body[h:]), dtype=dt).reshape([n] + shape)
            x = x.float().div_(255) if dt == torch.uint8 else x.float()
        elif ctype == "application/octet-stream":
            body = request.get_data()
            if len(body) == numel:
                x = torch.frombuffer(bytearray(body), dtype=torch.uint8).float().div_(255)
            elif len(body) == 4 * numel:
                x = torch.frombuffer(bytearray(body), dtype=torch.float32)
            else:
                return error(400, f"octet-stream body of {len(body)} bytes: expected {numel} "
                                  f"(UINT8) or {4 * numel} (FP32)")
            x = x.reshape([1] + shape)
        elif ctype == "application/json":
            req = request.get_json(silent=True)
            if not isinstance(req, dict) or not isinstance(req.get("inputs"), list) or len(req["inputs"]) != 1:
                return error(400, "body: expected a JSON object with exactly one entry in 'inputs'")
            rid = str(req.get("id", ""))
            inp = req["inputs"][0]
            dt = DTYPES.get(inp.get("datatype"))
            if dt is None:
                return error(400, f"inputs[0].datatype '{inp.get('datatype')}' not supported")
            try:
                x = torch.tensor(inp["data"], dtype=dt)
                n = int(inp["shape"][0])
                x = x.reshape([n] + shape)
            except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as e:
                return error(400, f"inputs[0]: bad shape or data: {e}")
            x = x.float().div_(255) if dt == torch.uint8 else x.float()
        else:
            return error(415, f"content type '{ctype}' not supported")
        # no_grad and inference_mode run at the same speed here once glibc's malloc thresholds
        # are fixed (serve_vs_flask.sh exports them; torch_mode_probe.py measures both modes).
        with torch.no_grad():
            p = torch.softmax(model(x), 1)
        labels = p.argmax(1).tolist()
        n = len(labels)
        out = {"model_name": name, "model_version": "1", "id": rid, "outputs": [
            {"name": "probabilities", "datatype": "FP32", "shape": [n, len(classes)],
             "data": p.flatten().tolist()},
            {"name": "label", "datatype": "INT64", "shape": [n], "data": labels},
            {"name": "class_name", "datatype": "BYTES", "shape": [n], "data": [classes[i] for i in labels]}]}
        return Response(json.dumps(out), mimetype="application/json")

    return app


def run_gunicorn(a):
    from gunicorn.app.base import BaseApplication

    class App(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"127.0.0.1:{a.port}")
            self.cfg.set("workers", a.workers)
            self.cfg.set("threads", a.threads)
            self.cfg.set("worker_class", "sync" if a.threads == 1 else "gthread")
            self.cfg.set("backlog", 2048)
            self.cfg.set("keepalive", 5)
            self.cfg.set("accesslog", None)
            self.cfg.set("loglevel", "warning")

        def load(self):  # runs in each worker after the fork (no preload_app)
            return create_app(a.module, a.meta, a.torch_threads)

    App().run()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--module", required=True, help="torch.jit.save file")
    p.add_argument("--meta", required=True, help="JSON: name, input_shape, class_names")
    p.add_argument("--port", type=int, default=8601)
    p.add_argument("--mode", choices=["single", "gunicorn"], default="single")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--torch-threads", type=int, default=1)
    a = p.parse_args()
    if a.mode == "single":
        import logging
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no per-request access log
        create_app(a.module, a.meta, a.torch_threads).run(host="127.0.0.1", port=a.port,
                                                          threaded=False, debug=False)
    else:
        run_gunicorn(a)


if __name__ == "__main__":
    main()
