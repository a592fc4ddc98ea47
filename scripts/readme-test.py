#!/usr/bin/python3
"""Runs the README's examples as written, in order, in a scratch directory (issue 17).

    scripts/readme-test.py [STRAIGHTLINE_EXE [SOURCE_DIR]] [--only LINE,...] [--keep] [--list] [--readme MD]

The examples are read from README.md's own fenced code blocks, so the README and this test cannot
drift apart:

- ```sh blocks are run one after another, each by `bash -e -o pipefail` in a new process group, in
  the scratch directory, as if typed into a fresh terminal there (variables do not carry over
  between blocks; files do). `SL` is the built executable, HOME is the scratch directory's home/,
  PATH the standard Debian one, AWS_* and STRAIGHTLINE_* variables are removed, and podman keeps
  its images under the scratch directory (CONTAINERS_STORAGE_CONF). Whatever a block started and left running (a server started with
  `&`) is stopped when the block ends (SIGTERM to its process group, SIGKILL after 15 s).
- ```yaml blocks whose first line is a comment naming a file (`# functions.yaml`) are written to
  that file before the next block runs; a yaml block naming no file is an error.
- An HTML comment right before a block (blank lines allowed between them) says how to treat it:
      <!-- readme-test: skip (REASON) -->   not run here; the test prints REASON. The exception.
      <!-- readme-test: needs s3 -->         the test runs s3rver on loopback with a bucket named
                                             `bucket` and sets AWS_ENDPOINT_URL, AWS_REGION,
                                             AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for it
                                             (the variables the README documents for any
                                             S3-compatible endpoint)
      <!-- readme-test: needs registry -->   a docker-registry listens on 127.0.0.1:5000
  Other languages (json, text, ...) are not run and not counted.
- Only loopback traffic: as root the whole run is in its own network namespace (only `lo`, so
  the README's fixed ports 8080 and 9000 are free, and anything reaching for another address fails
  at once) and its own mount namespace where /tmp is the scratch directory's tmp/ (the README's
  /tmp paths stay out of the host's /tmp). Not root: skipped (exit status 77).
- Scaled down only through the documented STRAIGHTLINE_<COMMAND>_ARGS variables (README, "Usage":
  flags appended to every command line of that command): SCALE below, printed at the start.

Prints per block: README line, ok | skip | fail, seconds; for a failure the block and its output's
tail. Exit status 0 when no block failed.
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

# Scaling down, through documented environment variables only (see the README, "Usage").
SCALE = {
    # 1,500 training samples, one epoch, two averaging rounds per epoch (serverless).
    "STRAIGHTLINE_TRAIN_ARGS": "--limit 1500 --epochs 1 --rounds-per-epoch 2",
    # k-fold cross-validation on 600 samples, one epoch per fold; evaluation on 2,000 samples.
    "STRAIGHTLINE_EVAL_ARGS": "--kfold-limit 600 --kfold-epochs 1 --limit 2000",
    # half-second measurement points, and a rate sweep from 25/s: from 100/s (the default first
    # rate) the local tier's p99 missed the saturation rule once while the suite ran beside it,
    # and with no rate held calibrate fails.
    "STRAIGHTLINE_CALIBRATE_ARGS": "--phase-s 0.5 --rates 25,50,100,200,400,800,1600",
    # a 5 s ramp from 5 to 20 sessions/s instead of 60 s from 10 to 300.
    "STRAIGHTLINE_LOAD_ARGS": "--phases 5:5:20",
    # images without gzip (the same layers, ~3 s instead of ~17 s a build).
    "STRAIGHTLINE_PACKAGE_ARGS": "--compression none",
}
BLOCK_TIMEOUT_S = 420
DOC = "README.md"  # the file's name in messages
DIRECTIVE = re.compile(r"^\s*<!--\s*readme-test:\s*(.*?)\s*-->\s*$")
FILE_COMMENT = re.compile(r"^#\s*([\w./-]+\.(?:ya?ml|json))\s*$")


class Block:
    def __init__(self, line, lang, text, directives):
        self.line, self.lang, self.text, self.directives = line, lang, text, directives

    def first_line(self):
        for l in self.text.splitlines():
            if l.strip():
                return l.strip()[:70]
        return ""


def parse_readme(path):
    """Fenced blocks of the README, in order, with the readme-test directives before each."""
    blocks, pending = [], []
    lines = open(path, encoding="utf-8").read().splitlines()
    i = 0
    while i < len(lines):
        l = lines[i]
        m = DIRECTIVE.match(l)
        if m:
            pending.append(m.group(1))
        elif l.startswith("```"):
            lang = l[3:].strip().split()[0] if l[3:].strip() else ""
            start = i + 1
            j = start
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            if j == len(lines):
                sys.exit(f"{DOC}:{i + 1}: unterminated code block")
            blocks.append(Block(i + 1, lang, "\n".join(lines[start:j]) + "\n", pending))
            pending = []
            i = j
        elif l.strip():
            if pending:
                sys.exit(f"{DOC}:{i + 1}: a readme-test directive must come right before a code block")
        i += 1
    return blocks


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout_s, proc):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


class Services:
    """Servers a block may need (`needs ...`), started once, on loopback."""

    def __init__(self, src, scratch):
        self.src, self.scratch, self.procs, self.env = src, scratch, [], {}
        self.started = set()

    def need(self, what):
        if what in self.started:
            return self.env.get(what, {})
        self.started.add(what)
        if what == "s3":
            s3rver = os.path.join(self.src, ".deps/node_modules/s3rver/bin/s3rver.js")
            if not os.path.exists(s3rver) or not shutil.which("node"):
                raise RuntimeError("s3rver is not installed (scripts/install-deps.sh)")
            port = free_port()
            d = os.path.join(self.scratch, "services/s3")
            os.makedirs(d, exist_ok=True)
            log = open(os.path.join(self.scratch, "services/s3rver.log"), "w")
            p = subprocess.Popen(["node", s3rver, "-d", d, "-a", "127.0.0.1", "-p", str(port), "-s",
                                  "--configure-bucket", "bucket"], stdout=log, stderr=log,
                                 start_new_session=True)
            self.procs.append(p)
            if not wait_port(port, 30, p):
                raise RuntimeError("s3rver did not start (services/s3rver.log)")
            self.env["s3"] = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_REGION": "us-east-1",
                              "AWS_ACCESS_KEY_ID": "S3RVER", "AWS_SECRET_ACCESS_KEY": "S3RVER"}
        elif what == "registry":
            exe = shutil.which("docker-registry")
            if exe is None:
                raise RuntimeError("docker-registry is not installed")
            d = os.path.join(self.scratch, "services/registry")
            os.makedirs(d, exist_ok=True)
            cfg = os.path.join(self.scratch, "services/registry.yml")
            with open(cfg, "w") as f:
                f.write(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {d}\n"
                        "http:\n  addr: 127.0.0.1:5000\n")
            log = open(os.path.join(self.scratch, "services/registry.log"), "w")
            p = subprocess.Popen([exe, "serve", cfg], stdout=log, stderr=log, start_new_session=True)
            self.procs.append(p)
            if not wait_port(5000, 30, p):
                raise RuntimeError("docker-registry did not start on 127.0.0.1:5000 (services/registry.log)")
        else:
            raise RuntimeError(f"unknown service '{what}' (readme-test: needs s3|registry)")
        return self.env.get(what, {})

    def stop(self):
        for p in self.procs:
            stop_group(p.pid, p)


def stop_group(pgid, proc=None):
    """SIGTERM to a process group, SIGKILL after 15 s if anything of it is left."""
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.time() + 15
    while time.time() < deadline:
        if proc is not None and proc.poll() is None:
            time.sleep(0.1)
            continue
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run_in_namespaces(scratch):
    """Runs this script again in new network and mount namespaces; returns its exit status."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        # Without its own namespaces the run would use the host's ports 8080 and 9000, its network
        # and its /tmp: not a test to run beside others.
        print("SKIP: readme-test needs root and unshare(1) for its own network and mount namespaces")
        return 77
    env = dict(os.environ, READMETEST_IN_NS="1", READMETEST_SCRATCH=scratch)
    r = subprocess.run(["unshare", "--net", "--mount", "--propagation", "private", "--fork", "--kill-child",
                        sys.executable] + sys.argv, env=env)
    return r.returncode


def set_up_namespaces(scratch):
    """Inside the namespaces: loopback up, /tmp = scratch/tmp."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    tmp = os.path.join(scratch, "tmp")
    os.makedirs(tmp, exist_ok=True)
    os.chmod(tmp, 0o1777)
    subprocess.run(["mount", "--bind", tmp, "/tmp"], check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("exe", nargs="?", help="the straightline executable (default build/straightline)")
    ap.add_argument("src", nargs="?", help="the source directory (default: this script's parent)")
    ap.add_argument("--only", help="comma-separated README lines of the blocks to run (debugging)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    ap.add_argument("--list", action="store_true", help="list the blocks and what would be done")
    ap.add_argument("--readme", help="another markdown file (the harness's own test)")
    a = ap.parse_args()
    src = os.path.abspath(a.src or os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    exe = os.path.abspath(a.exe or os.path.join(src, "build/straightline"))
    readme = os.path.abspath(a.readme) if a.readme else os.path.join(src, "README.md")
    global DOC
    DOC = os.path.basename(readme)
    blocks = parse_readme(readme)
    only = {int(x) for x in a.only.split(",")} if a.only else None

    if a.list:
        for b in blocks:
            print(f"{DOC}:{b.line:<5} {b.lang or '-':<5} {'; '.join(b.directives) or '':<40} {b.first_line()}")
        return 0

    if os.environ.get("READMETEST_IN_NS") != "1":
        # Not under /tmp: in the mount namespace /tmp is scratch/tmp.
        scratch = tempfile.mkdtemp(prefix="sl-readme-test-", dir="/var/tmp")
        rc = run_in_namespaces(scratch)
        if rc in (0, 77) and not a.keep:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            print(f"readme-test: kept {scratch}")
        return rc
    scratch = os.environ["READMETEST_SCRATCH"]
    set_up_namespaces(scratch)
    work = os.path.join(scratch, "work")
    home = os.path.join(scratch, "home")
    os.makedirs(work, exist_ok=True)
    os.makedirs(home, exist_ok=True)
    # The README's examples run from a clone: they name files of the repository by relative paths.
    for name in ("examples",):
        if not os.path.exists(os.path.join(work, name)):
            os.symlink(os.path.join(src, name), os.path.join(work, name))
    # ../shared beside the clone (the trace samples the README reads in place, never copied):
    # work is scratch/work, so scratch/shared is its ../shared.
    shared = os.path.realpath(os.path.join(src, "..", "shared"))
    if os.path.isdir(shared) and not os.path.exists(os.path.join(scratch, "shared")):
        os.symlink(shared, os.path.join(scratch, "shared"))
    logs = os.path.join(scratch, "logs")
    os.makedirs(logs, exist_ok=True)

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.startswith("STRAIGHTLINE_")
           and not k.startswith("READMETEST_")}
    # The tools the README names are the Debian packages scripts/install-deps.sh installs (awscli
    # 2, curl, skopeo, podman...): a standard PATH, not the developer's (a pyenv shim's AWS CLI 1
    # has no --cli-binary-format).
    env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    env.update({"SL": exe, "HOME": home, "TMPDIR": "/tmp"})
    os.makedirs(env["TMPDIR"], exist_ok=True)
    # podman (`podman load` in "Package") keeps images in the scratch directory, not the host's
    # /var/lib/containers: CONTAINERS_STORAGE_CONF is podman's own variable for that.
    storage = os.path.join(scratch, "containers")
    with open(os.path.join(home, "storage.conf"), "w") as f:
        f.write(f'[storage]\ndriver = "vfs"\ngraphroot = "{storage}/storage"\nrunroot = "{storage}/run"\n')
    env["CONTAINERS_STORAGE_CONF"] = os.path.join(home, "storage.conf")
    env.update(SCALE)

    print(f"readme-test: {len(blocks)} code blocks in {readme}")
    print(f"readme-test: scratch {scratch} (own network and mount namespaces, /tmp = scratch/tmp)")
    print(f"readme-test: SL={exe}")
    for k, v in SCALE.items():
        print(f"readme-test: {k}=\"{v}\"")
    sys.stdout.flush()

    services = Services(src, scratch)
    results = []
    t_all = time.time()
    try:
        for b in blocks:
            if b.lang not in ("sh", "bash", "yaml", "yml"):
                continue
            if only is not None and b.line not in only:
                continue
            skip = [d for d in b.directives if d.startswith("skip")]
            if skip:
                reason = skip[0][4:].strip(" :()") or "no reason given"
                results.append((b, "skip", 0.0, reason))
                print(f"{DOC}:{b.line:<5} skip  {0:6.1f}s  {b.first_line()}\n           ({reason})")
                sys.stdout.flush()
                continue
            if b.lang in ("yaml", "yml"):
                first = b.text.splitlines()[0] if b.text.strip() else ""
                m = FILE_COMMENT.match(first)
                if not m:
                    results.append((b, "fail", 0.0, "a yaml block must name its file on its first line (# NAME.yaml)"))
                    print(f"{DOC}:{b.line:<5} FAIL  {0:6.1f}s  yaml block names no file (first line '# NAME.yaml')")
                    continue
                try:  # a README file that is not valid YAML is a README bug
                    import yaml
                    yaml.safe_load(b.text)
                except ImportError:
                    pass
                except yaml.YAMLError as e:
                    results.append((b, "fail", 0.0, f"{m.group(1)} is not valid YAML: {e}"))
                    print(f"{DOC}:{b.line:<5} FAIL  {0:6.1f}s  {m.group(1)} is not valid YAML: {e}")
                    continue
                path = os.path.join(work, m.group(1))
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as f:
                    f.write(b.text)
                results.append((b, "ok", 0.0, ""))
                print(f"{DOC}:{b.line:<5} ok    {0:6.1f}s  wrote {m.group(1)}")
                sys.stdout.flush()
                continue
            block_env = dict(env)
            err = None
            for d in b.directives:
                if d.startswith("needs"):
                    for what in d[5:].replace(",", " ").split():
                        try:
                            block_env.update(services.need(what))
                        except RuntimeError as e:
                            err = str(e)
            script = os.path.join(logs, f"block-{b.line}.sh")
            log = os.path.join(logs, f"block-{b.line}.log")
            with open(script, "w") as f:
                f.write(b.text)
            t0 = time.time()
            if err is None:
                with open(log, "w") as out:
                    p = subprocess.Popen(["bash", "-e", "-o", "pipefail", script], cwd=work, env=block_env,
                                         stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
                    try:
                        rc = p.wait(timeout=BLOCK_TIMEOUT_S)
                    except subprocess.TimeoutExpired:
                        rc = None
                    stop_group(p.pid)  # servers the block left running
                if rc is None:
                    err = f"timed out after {BLOCK_TIMEOUT_S} s"
                elif rc != 0:
                    err = f"exit status {rc}"
            dt = time.time() - t0
            status = "ok" if err is None else "fail"
            results.append((b, status, dt, err or ""))
            print(f"{DOC}:{b.line:<5} {status if status == 'ok' else 'FAIL':<5} {dt:6.1f}s  {b.first_line()}")
            if err is not None:
                print(f"  {err}; the block:")
                for l in b.text.rstrip().splitlines():
                    print(f"  | {l}")
                if os.path.exists(log):
                    tail = open(log, errors="replace").read().splitlines()[-40:]
                    print(f"  output (last {len(tail)} lines of {log}):")
                    for l in tail:
                        print(f"  > {l}")
            sys.stdout.flush()
    finally:
        services.stop()

    n = {s: sum(1 for r in results if r[1] == s) for s in ("ok", "skip", "fail")}
    print(f"readme-test: {n['ok']} ok, {n['skip']} skipped, {n['fail']} failed in {time.time() - t_all:.0f} s")
    for b, s, _, why in results:
        if s == "skip":
            print(f"  skipped {DOC}:{b.line}: {why}")
    for b, s, _, why in results:
        if s == "fail":
            print(f"  FAILED  {DOC}:{b.line}: {why}")
    return 1 if n["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
