"""Shared pieces of the uplink end-to-end tests (tests/e2e/uplink/*.py): a development PKI, the
reference provider as a child process on 127.0.0.1 (port 0 or a chosen one), upload configs, vigild
runs with a time bound, and comparisons of the provider's store with a replay's eve.json.
Stdlib only. Every test gets its own temporary folder, removed at the end (VIGIL_E2E_KEEP=1 keeps it
and prints where), and every child process is killed in a finally block."""
import argparse
import collections
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77
SERVER_NAME = "provider.vigil.test"


class Failure(Exception):
    """A check failed; the message says what differed."""


def common_args(description):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--vigild", required=True)
    ap.add_argument("--provider", required=True, help="vigil-provider program")
    ap.add_argument("--captures", required=True, help="folder of the generated captures")
    ap.add_argument("--rules", required=True)
    ap.add_argument("--tmp", default=None, help="parent of the test's temporary folder")
    return ap


def run_test(name, body, args):
    """Runs body(work_dir) in a fresh temporary folder; returns the exit code for sys.exit:
    0 pass, 1 fail (message on stderr), 77 skip."""
    for prog in (args.vigild, args.provider):
        if not os.access(prog, os.X_OK):
            print(f"{name}: FAIL: {prog} is not an executable program", file=sys.stderr)
            return 1
    parent = args.tmp
    if parent:
        os.makedirs(parent, exist_ok=True)
    # SIGTERM/SIGINT (ctest, a user) end the test through the finally block below.
    def stop(signum, _frame):
        raise Failure(f"stopped by signal {signum}")
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    work = tempfile.mkdtemp(prefix=f"vigil-e2e-{name}-", dir=parent)
    started = time.monotonic()
    try:
        body(work)
        print(f"{name}: PASS in {time.monotonic() - started:.1f} s")
        return 0
    except Skip as e:
        print(f"{name}: SKIPPED: {e}")
        return SKIP
    except Failure as e:
        print(f"{name}: FAIL after {time.monotonic() - started:.1f} s: {e}", file=sys.stderr)
        return 1
    finally:
        Process.kill_all()
        if os.environ.get("VIGIL_E2E_KEEP") == "1":
            print(f"{name}: kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


class Skip(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


# ---------------------------------------------------------------------------------------------
# Child processes


def _die_with_parent():
    """In the child before exec: SIGKILL when the test process dies (ctest killing it on a
    timeout must not leave a provider running). Linux prctl(PR_SET_PDEATHSIG)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def popen(cmd, **kw):
    p = subprocess.Popen(cmd, preexec_fn=_die_with_parent, **kw)
    Process.live.append(p)
    return p


class Process:
    """Every child started here, so the test's finally block can kill what is left."""
    live = []

    @classmethod
    def kill_all(cls):
        for p in cls.live:
            if p.poll() is None:
                try:
                    p.kill()
                    p.wait(timeout=10)
                except (OSError, subprocess.TimeoutExpired):
                    pass
        cls.live = []


def run(cmd, timeout, cwd=None):
    """Runs cmd to completion within timeout seconds; returns CompletedProcess (text)."""
    p = popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        raise Failure(f"{' '.join(cmd)} did not finish within {timeout} s\nstdout:\n{out}\nstderr:\n{err}")
    finally:
        if p.poll() is None:  # an exception (a signal) while waiting
            p.kill()
            p.wait()
        Process.live.remove(p)
    return subprocess.CompletedProcess(cmd, p.returncode, out, err)


def describe(res):
    return (f"`{' '.join(res.args)}` exited {res.returncode}\n--- stdout:\n{res.stdout.strip()}"
            f"\n--- stderr:\n{res.stderr.strip()}")


def expect_exit(res, code, what):
    if res.returncode != code:
        raise Failure(f"{what}: expected exit {code}, got {res.returncode}\n{describe(res)}")


def free_port():
    """A TCP port on 127.0.0.1 with nothing listening (bound then released: another test could
    take it in between, which the callers accept as unlikely)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


# ---------------------------------------------------------------------------------------------
# PKI


class Pki:
    def __init__(self, provider, folder, not_before=None, not_after=None, server_name=None):
        self.provider, self.dir = provider, folder
        cmd = [provider, "pki", "init", "--dir", folder]
        if not_before is not None:
            cmd += ["--not-before-days", str(not_before)]
        if not_after is not None:
            cmd += ["--not-after-days", str(not_after)]
        if server_name:
            cmd += ["--server-name", server_name]
        expect_exit(run(cmd, 60), 0, f"pki init in {folder}")
        self.ca = os.path.join(folder, "ca.crt")

    def device(self, ident, not_before=None, not_after=None):
        """(cert, key) of a new device certificate with CN=ident."""
        cmd = [self.provider, "pki", "device", "--dir", self.dir, "--id", ident]
        if not_before is not None:
            cmd += ["--not-before-days", str(not_before)]
        if not_after is not None:
            cmd += ["--not-after-days", str(not_after)]
        expect_exit(run(cmd, 60), 0, f"pki device {ident} in {self.dir}")
        return (os.path.join(self.dir, "devices", f"{ident}.crt"),
                os.path.join(self.dir, "devices", f"{ident}.key"))


# ---------------------------------------------------------------------------------------------
# Provider


class Provider:
    """vigil-provider serve as a child; its first stdout line names the port."""

    def __init__(self, program, data, pki_dir, port=0, extra=()):
        self.data = data
        self.log = open(data.rstrip("/") + ".provider.log", "w")
        cmd = [program, "serve", "--data", data, "--pki", pki_dir, "--port", str(port), *extra]
        self.proc = popen(cmd, stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self._first_line(10)
        prefix = "vigil-provider: listening on 127.0.0.1:"
        if not line.startswith(prefix):
            self.stop()
            raise Failure(f"provider's first line is not `{prefix}PORT, ...`: {line!r} "
                          f"(stderr: {self.stderr_text()})")
        self.port = int(line[len(prefix):].split(",")[0])
        if port:
            check(self.port == port, f"provider listens on {self.port}, asked for {port}")

    def _first_line(self, timeout):
        # The provider prints one line then stays quiet; a thread-free bounded read: poll the pipe.
        import selectors
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sel.select(timeout=0.1):
                return self.proc.stdout.readline()
            if self.proc.poll() is not None:
                return self.proc.stdout.readline()
        return ""

    def stderr_text(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        """SIGTERM, then SIGKILL after 10 s."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc in Process.live:
            Process.live.remove(self.proc)
        self.proc.stdout.close()
        self.log.close()

    # What the provider stored, per appliance.
    def appliance_dir(self, ident):
        return os.path.join(self.data, "appliances", ident)

    def event_lines(self, ident):
        """[(file, line text)] of every stored event line of the appliance."""
        folder = os.path.join(self.appliance_dir(ident), "events")
        out = []
        if os.path.isdir(folder):
            for name in sorted(os.listdir(folder)):
                if not name.endswith(".jsonl"):
                    continue
                with open(os.path.join(folder, name), encoding="utf-8") as f:
                    for line in f.read().splitlines():
                        if line.strip():
                            out.append((name, line))
        return out

    def flow_pcaps(self, ident):
        """{file name: bytes} of the appliance's stored flow pcaps."""
        return read_pcaps(os.path.join(self.appliance_dir(ident), "flows"))

    def heartbeats(self, ident):
        path = os.path.join(self.appliance_dir(ident), "heartbeats.jsonl")
        if not os.path.exists(path):
            return []
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def stored_files(self):
        """Every regular file under the data folder (relative paths)."""
        out = []
        for root, _, files in os.walk(self.data):
            for name in files:
                out.append(os.path.relpath(os.path.join(root, name), self.data))
        return sorted(out)


def read_pcaps(folder):
    out = {}
    if os.path.isdir(folder):
        for name in os.listdir(folder):
            path = os.path.join(folder, name)
            if name.endswith(".pcap") and os.path.isfile(path):
                with open(path, "rb") as f:
                    out[name] = f.read()
    return out


# ---------------------------------------------------------------------------------------------
# Appliance side


def write_config(path, port, ca, cert, key, spool="spool", max_bytes=268435456, batch_events=500,
                 server_name=SERVER_NAME, connect_timeout_ms=2000, io_timeout_ms=5000,
                 backoff_initial_ms=50, backoff_max_ms=500, batch_bytes=1048576):
    def q(s):
        return json.dumps(s)  # a TOML basic string is a JSON string for these paths
    with open(path, "w") as f:
        f.write(f"""[provider]
host = "127.0.0.1"
port = {port}
server_name = {q(server_name)}
ca = {q(ca)}
cert = {q(cert)}
key = {q(key)}
connect_timeout_ms = {connect_timeout_ms}
io_timeout_ms = {io_timeout_ms}

[spool]
dir = {q(spool)}
max_bytes = {max_bytes}

[upload]
batch_events = {batch_events}
batch_bytes = {batch_bytes}
backoff_initial_ms = {backoff_initial_ms}
backoff_max_ms = {backoff_max_ms}
""")
    return path


def replay_cmd(args, pcap, out, config=None, upload_timeout=None, flow_pcaps=False):
    cmd = [args.vigild, "replay", "--pcap", pcap, "--rules", args.rules, "--out", out]
    if config:
        cmd += ["--upload", config]
    if upload_timeout is not None:
        cmd += ["--upload-timeout", str(upload_timeout)]
    if flow_pcaps:
        cmd += ["--flow-pcaps"]
    return cmd


def upload_cmd(args, config, timeout=None):
    cmd = [args.vigild, "upload", "--config", config]
    if timeout is not None:
        cmd += ["--timeout", str(timeout)]
    return cmd


def capture(args, name):
    path = os.path.join(args.captures, name)
    if not os.path.isfile(path):
        raise Failure(f"capture {path} is missing (build the `captures` target)")
    return path


def line_of(stdout, prefix):
    for line in stdout.splitlines():
        if line.startswith(prefix):
            return line
    return None


# ---------------------------------------------------------------------------------------------
# Comparisons


def eve_lines(path):
    with open(path, encoding="utf-8") as f:
        return [line for line in f.read().splitlines() if line.strip()]


def canon(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def parse_lines(lines, where):
    out = []
    for i, line in enumerate(lines):
        try:
            obj = json.loads(line)
        except ValueError as e:
            raise Failure(f"{where}: line {i + 1} is not JSON ({e}): {line[:200]}")
        if not isinstance(obj, dict):
            raise Failure(f"{where}: line {i + 1} is not a JSON object: {line[:200]}")
        out.append(obj)
    return out


def multiset(objs):
    return collections.Counter(canon(o) for o in objs)


def brief(key, limit=220):
    return key if len(key) <= limit else key[:limit] + "..."


def compare_multisets(expected, actual, what, limit=5):
    """Raises a Failure naming the missing, extra and repeated objects."""
    if expected == actual:
        return
    missing = expected - actual
    extra = actual - expected
    msg = [f"{what}: expected {sum(expected.values())} objects ({len(expected)} distinct), "
           f"provider has {sum(actual.values())} ({len(actual)} distinct)"]
    repeated = {k: actual[k] for k in extra if k in expected}
    absent = {k: n for k, n in missing.items()}
    new = {k: n for k, n in extra.items() if k not in expected}
    if absent:
        msg.append(f"  {sum(absent.values())} missing at the provider, e.g.:")
        msg += [f"    x{n} {brief(k)}" for k, n in list(absent.items())[:limit]]
    if repeated:
        msg.append(f"  {len(repeated)} stored more often than in eve.json, e.g.:")
        msg += [f"    {actual[k]} times instead of {expected[k]}: {brief(k)}"
                for k in list(repeated)[:limit]]
    if new:
        msg.append(f"  {sum(new.values())} stored at the provider but not in eve.json, e.g.:")
        msg += [f"    x{n} {brief(k)}" for k, n in list(new.items())[:limit]]
    raise Failure("\n".join(msg))


def uploadable(objs):
    """The lines vigild spools: everything but stats."""
    return [o for o in objs if o.get("event_type") != "stats"]


def check_events_exactly_once(eve_path, provider, ident, what="events"):
    """All non-stats lines of eve.json at the provider exactly once (and nothing else); the alerts
    checked first so an alert difference is named as such."""
    ref = uploadable(parse_lines(eve_lines(eve_path), eve_path))
    got = parse_lines([l for _, l in provider.event_lines(ident)], "provider events")
    compare_multisets(multiset(o for o in ref if o.get("event_type") == "alert"),
                      multiset(o for o in got if o.get("event_type") == "alert"), f"{what}: alerts")
    compare_multisets(multiset(ref), multiset(got), f"{what}: all non-stats lines")
    return ref, got


def compare_pcaps(expected, actual, what):
    """expected/actual: {name: bytes}."""
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    differ = sorted(n for n in set(expected) & set(actual) if expected[n] != actual[n])
    if missing or extra or differ:
        msg = [f"{what}: expected {len(expected)} flow pcaps, provider has {len(actual)}"]
        if missing:
            msg.append(f"  missing ({len(missing)}): {', '.join(missing[:10])}")
        if extra:
            msg.append(f"  unexpected ({len(extra)}): {', '.join(extra[:10])}")
        for n in differ[:10]:
            e, a = expected[n], actual[n]
            first = next((i for i in range(min(len(e), len(a))) if e[i] != a[i]), min(len(e), len(a)))
            msg.append(f"  {n}: contents differ ({len(e)} bytes expected, {len(a)} stored, "
                       f"first difference at byte {first})")
        raise Failure("\n".join(msg))


def reference_flow_pcaps(args, pcap, work):
    """(eve.json path, {name: bytes}) of a `--flow-pcaps` run (no upload) of the same input."""
    out = os.path.join(work, "reference")
    res = run(replay_cmd(args, pcap, out, flow_pcaps=True), 300)
    expect_exit(res, 0, "reference replay --flow-pcaps")
    return os.path.join(out, "eve.json"), read_pcaps(os.path.join(out, "flows"))


def alert_flow_ids(objs):
    return {str(o["flow_id"]) for o in objs if o.get("event_type") == "alert" and "flow_id" in o}
