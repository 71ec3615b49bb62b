"""End-to-end test of issue 6: `vigild run` inline between two veth pairs in network namespaces.

    client ns            appliance ns                          server ns
    cli 10.199.X.1 <-> va<id> [lan0]  vigild run  [wan0] vb<id> <-> srv 10.199.X.2
                                                                    HTTP :8080, DNS :53, TCP :9999

Checks (--check NAME, several allowed, or `all` for every one on one appliance):
  forward   benign HTTP gets the exact body, DNS gets its answer, 20 parallel GETs all succeed;
            afterwards eve.json has the DNS alert (sid 1003, allowed)
  drop      GET /blocked never reaches the server, the client times out, the same connection
            stays dead; eve.json: alert sid 1001 action blocked; later benign GETs work
  reject    a connection to :9999 is refused/reset by the appliance's RST well before a timeout,
            the server's listener never accepts; eve.json: alert sid 1002
  counters  per port: received = forwarded + verdict_drops + tx_full (+ fail_closed); the
            kernel's veth counters in the appliance ns agree with the ports' rx/tx counts
  symmetry  every flow (flow_id and 5-tuple) on exactly one worker, both directions in the one
            record, flows spread over both workers (imbalance is reported, not failed)
  stall     vigilctl debug stall-worker: bypass engaged within stall_ms + margin, HTTP keeps
            working during the stall, health event in status and eve.json, bypass released after
            the stall + recover_ms, counters still add up
  telemetry dpdk-telemetry.py lists /vigil/ports and /vigil/workers and shows Vigil's counters
  dumpcap   dpdk-dumpcap captures 5 packets of port 0 while the client sends (tshark reads them).
            dpdk-dumpcap is a DPDK secondary process, and a secondary cannot attach to a primary
            started with --no-huge (it reads the primary's hugepage_info, which --no-huge never
            writes). So when this check is selected and free 2 MB hugepages are mounted, the
            board uses them instead of --no-huge; without them the check is skipped (77).
Exit 0 when every selected check passed, 1 otherwise (each check's result is printed), 77 when
not root or `ip netns` does not work. Stdlib only. VIGIL_E2E_KEEP=1 keeps the work folder."""
import argparse
import glob
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "inline_peers.py")
CHECKS = ["forward", "drop", "reject", "counters", "symmetry", "stall", "telemetry", "dumpcap"]

STALL_MS = 300
RECOVER_MS = 1000
CHECK_INTERVAL_MS = 50
STALL_FOR_MS = 3000

RULES = """\
drop http any any -> any any (msg:"block"; http.uri; content:"/blocked"; sid:1001;)
reject tcp any any -> any 9999 (msg:"reject"; flow:to_server; sid:1002;)
alert dns any any -> any any (msg:"dns"; dns.query; content:"example"; sid:1003;)
"""


class Failure(Exception):
    """A check failed; the message says exactly what differed."""


class Skip(Exception):
    pass


class SkipCheck(Exception):
    """One check cannot run on this machine; the message says why."""


HUGE_MB = 256  # what the board asks for when it uses hugepages (-m)


def hugepage_state():
    """"N free of M 2048 kB hugepages, hugetlbfs mounted at X" (for messages)."""
    info = {}
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                k, _, v = line.partition(":")
                info[k] = v.split()[0] if v.split() else "0"
    except OSError:
        pass
    mounts = []
    try:
        with open("/proc/mounts") as f:
            mounts = [l.split()[1] for l in f if l.split()[2:3] == ["hugetlbfs"]]
    except OSError:
        pass
    return (f"{info.get('HugePages_Free', '?')} free of {info.get('HugePages_Total', '?')} "
            f"{info.get('Hugepagesize', '?')} kB hugepages, hugetlbfs mounted at "
            f"{mounts or 'nowhere'}")


def hugepages_available():
    """Free 2 MB hugepages for HUGE_MB on a mounted hugetlbfs."""
    try:
        with open("/proc/meminfo") as f:
            info = {l.split(":")[0]: l.split(":")[1].split()[0] for l in f if ":" in l}
        with open("/proc/mounts") as f:
            mounted = any(l.split()[2:3] == ["hugetlbfs"] for l in f)
        return (mounted and info.get("Hugepagesize") == "2048"
                and int(info.get("HugePages_Free", 0)) * 2 >= HUGE_MB + 64)
    except (OSError, ValueError, IndexError):
        return False


class Hugepages:
    """Reserves the 2 MB hugepages the dumpcap check needs when the host has none free, and mounts
    a private hugetlbfs when none is mounted; restores both afterwards (the CI machine starts
    without hugepages)."""
    NR = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"

    def __init__(self, work):
        self.work = work
        self.old_nr = None
        self.mount = None

    def ensure(self):
        if hugepages_available():
            return True
        try:
            with open(self.NR) as f:
                self.old_nr = int(f.read().strip())
            want = self.old_nr + (HUGE_MB + 64) // 2
            with open(self.NR, "w") as f:
                f.write(str(want))
            with open("/proc/mounts") as f:
                mounted = any(l.split()[2:3] == ["hugetlbfs"] for l in f)
            if not mounted:
                self.mount = os.path.join(self.work, "hugetlbfs")
                os.makedirs(self.mount, exist_ok=True)
                subprocess.run(["mount", "-t", "hugetlbfs", "nodev", self.mount], check=True,
                               capture_output=True)
        except (OSError, ValueError, subprocess.CalledProcessError):
            pass
        return hugepages_available()

    def restore(self):
        if self.mount:
            subprocess.run(["umount", self.mount], capture_output=True)
            self.mount = None
        if self.old_nr is not None:
            try:
                with open(self.NR, "w") as f:
                    f.write(str(self.old_nr))
            except OSError:
                pass
            self.old_nr = None


def check(cond, message):
    if not cond:
        raise Failure(message)


# ---------------------------------------------------------------------------------------------
# Child processes


def _die_with_parent():
    """In the child before exec: SIGKILL when the test dies (a ctest timeout must not leave
    servers or an appliance running)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


LIVE = []


def popen(cmd, **kw):
    p = subprocess.Popen(cmd, preexec_fn=_die_with_parent, **kw)
    LIVE.append(p)
    return p


def kill_all():
    for p in LIVE:
        if p.poll() is None:
            try:
                p.kill()
                p.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
    LIVE.clear()


def run(cmd, timeout, input_text=None, check_rc=None, what=None):
    """Runs cmd to completion within timeout seconds -> CompletedProcess (text)."""
    p = popen(cmd, stdin=subprocess.PIPE if input_text is not None else subprocess.DEVNULL,
              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(input=input_text, timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        raise Failure(f"`{' '.join(cmd)}` did not finish within {timeout} s\n--- stdout:\n"
                      f"{out.strip()}\n--- stderr:\n{err.strip()}")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        LIVE.remove(p)
    res = subprocess.CompletedProcess(cmd, p.returncode, out, err)
    if check_rc is not None and res.returncode != check_rc:
        raise Failure(f"{what or 'command'}: expected exit {check_rc}, got {res.returncode}\n"
                      f"{describe(res)}")
    return res


def describe(res):
    return (f"`{' '.join(res.args)}` exited {res.returncode}\n--- stdout:\n{res.stdout.strip()}"
            f"\n--- stderr:\n{res.stderr.strip()}")


def sh(*cmd, timeout=20):
    """A setup command that must succeed."""
    return run(list(cmd), timeout, check_rc=0, what="setup")


# ---------------------------------------------------------------------------------------------
# The three namespaces


NS_RE = re.compile(r"^vigil-e2e-(\d+)-(cli|appl|srv)$")


def remove_stale(tmp):
    """What earlier runs of this test left when their process was SIGKILLed (a ctest timeout):
    their namespaces, DPDK runtime folders and work folders. Only names this test makes, only
    when that pid no longer exists."""
    res = run(["ip", "netns", "list"], 10)
    for line in res.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        m = NS_RE.match(name)
        if m and not os.path.exists(f"/proc/{m.group(1)}"):
            run(["ip", "netns", "del", name], 10)
    leftovers = glob.glob("/var/run/dpdk/vigil-e2e-*")
    if tmp:
        leftovers += glob.glob(os.path.join(tmp, "vigil-e2e-inline-*"))
    for path in leftovers:
        m = re.match(r"^vigil-e2e-(?:inline-)?(\d+)(?:-|$)", os.path.basename(path))
        if m and not os.path.exists(f"/proc/{m.group(1)}"):
            shutil.rmtree(path, ignore_errors=True)


class Wire:
    """client ns -- veth -- appliance ns -- veth -- server ns, with unique names per run."""

    def __init__(self, ident):
        self.id = ident
        self.cli_ns = f"vigil-e2e-{ident}-cli"
        self.app_ns = f"vigil-e2e-{ident}-appl"
        self.srv_ns = f"vigil-e2e-{ident}-srv"
        self.va = f"va{ident}"  # appliance side of the client link (lan0)
        self.vb = f"vb{ident}"  # appliance side of the server link (wan0)
        x = ident % 250 + 1
        self.cli_ip = f"10.199.{x}.1"
        self.srv_ip = f"10.199.{x}.2"
        # More client addresses: the distributor hashes the address pair, so one client address
        # would put every flow on one worker.
        self.cli_extra = [f"10.199.{x}.{i}" for i in range(11, 19)]
        self.created = []
        self.notes = []

    def up(self):
        for ns in (self.cli_ns, self.app_ns, self.srv_ns):
            sh("ip", "netns", "add", ns)
            self.created.append(ns)
            # No IPv6 at all: no DAD, router solicitations or MLD reports in the counters.
            for conf in ("all", "default"):
                sh("ip", "netns", "exec", ns, "sh", "-c",
                   f"echo 1 > /proc/sys/net/ipv6/conf/{conf}/disable_ipv6")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", self.app_ns, "link", "add", "name", self.va, "mtu", "1500", "type", "veth",
           "peer", "name", "cli", "mtu", "1500", "netns", self.cli_ns)
        sh("ip", "-n", self.app_ns, "link", "add", "name", self.vb, "mtu", "1500", "type", "veth",
           "peer", "name", "srv", "mtu", "1500", "netns", self.srv_ns)
        sh("ip", "-n", self.cli_ns, "addr", "add", f"{self.cli_ip}/24", "dev", "cli")
        for a in self.cli_extra:
            sh("ip", "-n", self.cli_ns, "addr", "add", f"{a}/24", "dev", "cli")
        sh("ip", "-n", self.srv_ns, "addr", "add", f"{self.srv_ip}/24", "dev", "srv")
        # The appliance ends carry no address: the kernel there must not answer or send anything.
        if shutil.which("ethtool"):
            # veth hands partial checksums to af_packet; the frames re-sent by the appliance
            # would reach the far kernel with a wrong checksum. Checksums and segmentation done
            # in software on every end.
            for ns, dev in ((self.cli_ns, "cli"), (self.srv_ns, "srv"), (self.app_ns, self.va),
                            (self.app_ns, self.vb)):
                res = run(["ip", "netns", "exec", ns, "ethtool", "-K", dev, "tx", "off", "rx",
                           "off", "tso", "off", "gso", "off", "gro", "off"], 10)
                if res.returncode != 0:
                    self.notes.append(f"ethtool -K {dev} failed: {res.stderr.strip()}")
        else:
            self.notes.append("ethtool not found: TX checksum offload stays on; af_packet sees "
                              "partial checksums (Vigil's -k none default ignores them, the far "
                              "kernel may not)")
        for ns, dev in ((self.app_ns, self.va), (self.app_ns, self.vb), (self.cli_ns, "cli"),
                        (self.srv_ns, "srv")):
            sh("ip", "-n", ns, "link", "set", dev, "up")

    def down(self):
        for ns in reversed(self.created):
            run(["ip", "netns", "del", ns], 10)  # takes its veth ends (and so the pairs) along
        self.created = []

    def link_counters(self, dev):
        """(rx_packets, tx_packets, rx_dropped, tx_dropped) of an appliance-side veth."""
        res = run(["ip", "-n", self.app_ns, "-s", "-j", "link", "show", "dev", dev], 10,
                  check_rc=0, what=f"ip -s link show {dev}")
        st = json.loads(res.stdout)[0]["stats64"]
        return {"rx": st["rx"]["packets"], "tx": st["tx"]["packets"],
                "rx_dropped": st["rx"]["dropped"], "tx_dropped": st["tx"]["dropped"]}


# ---------------------------------------------------------------------------------------------
# The appliance


def write_files(work, wire, prefix, huge):
    state = os.path.join(work, "sim-state")
    os.makedirs(state, exist_ok=True)
    board = os.path.join(work, "board.toml")
    eal_args = json.dumps(["--no-pci", "-m", str(HUGE_MB)] if huge
                          else ["--no-huge", "--no-pci", "-m", "512"])
    with open(board, "w") as f:
        f.write(f"""# Written by tests/e2e/inline/test_inline.py (board/sim/board.toml's shape).
name = "e2e-inline"
model = "Simulated appliance (e2e inline test)"
description = "Inline pair on af_packet veths in network namespaces"

[eal]
args = {eal_args}
main_lcore = 0

[[port]]
name = "lan0"
vdev = "net_af_packet0,iface={wire.va},qpairs=1"
role = "inline"
peer = "wan0"
rss = false
overload = "bypass"
rx_desc = 256
tx_desc = 256

[[port]]
name = "wan0"
vdev = "net_af_packet1,iface={wire.vb},qpairs=1"
role = "inline"
peer = "lan0"
rss = false
overload = "bypass"
rx_desc = 256
tx_desc = 256

[workers]
lcores = [1, 2]
cpus = [1, 1]
burst = 32

[mempool]
mbufs = 8191
cache = 256
mbuf_size = 2176
hugepage = "{'2M' if huge else 'none'}"
extra_mb = 0

[rings]
size = 1024

[rss]
symmetric = true

[bypass]
backend = "sim"
path = "{state}/bypass"
policy = "fail-open"
stall_ms = {STALL_MS}

[watchdog]
backend = "sim"
device = "{state}/watchdog"
timeout_s = 10
feed_interval_ms = 1000
""")
    with open(os.path.join(work, "inline.rules"), "w") as f:
        f.write(RULES)
    config = os.path.join(work, "appliance.toml")
    with open(config, "w") as f:
        f.write(f"""# Written by tests/e2e/inline/test_inline.py
[detect]
rules = ["inline.rules"]
mode = "ips"

[output]
dir = "out"

[control]
socket = "vigild.sock"
file_prefix = "{prefix}"

[health]
stall_ms = {STALL_MS}
recover_ms = {RECOVER_MS}
check_interval_ms = {CHECK_INTERVAL_MS}
""")
    return board, config, os.path.join(state, "bypass")


class Appliance:
    """`ip netns exec <appl> vigild run` as a child; stdout lines collected by a thread."""

    def __init__(self, vigild, vigilctl, wire, work, prefix, huge):
        self.vigild, self.vigilctl, self.wire, self.work = vigild, vigilctl, wire, work
        self.prefix, self.huge = prefix, huge
        self.board, self.config, self.bypass_file = write_files(work, wire, prefix, huge)
        self.socket = os.path.join(work, "vigild.sock")
        self.out_dir = os.path.join(work, "out")
        self.stderr_path = os.path.join(work, "vigild.stderr")
        self.lines = queue.Queue()
        self.stdout = []
        self.proc = None
        self.first_line = None
        self.exit_code = None

    def start(self, timeout=30):
        self.err = open(self.stderr_path, "w")
        cmd = wire_exec(self.wire, self.wire.app_ns) + [
            self.vigild, "run", "--board", self.board, "--config", self.config]
        self.cmd = cmd
        self.proc = popen(cmd, stdout=subprocess.PIPE, stderr=self.err, text=True, cwd=self.work)

        def reader():
            for line in self.proc.stdout:
                self.stdout.append(line.rstrip("\n"))
                self.lines.put(line.rstrip("\n"))
            self.lines.put(None)

        threading.Thread(target=reader, daemon=True).start()
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure(f"vigild printed no `vigild: running` line within {timeout} s\n"
                              f"{self.diagnostics()}")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                self.proc.wait(timeout=10)
                raise Failure(f"vigild exited {self.proc.returncode} before `vigild: running`\n"
                              f"{self.diagnostics()}")
            if line.startswith("vigild: running"):
                self.first_line = line
                return line

    def stderr_text(self, tail=80):
        try:
            with open(self.stderr_path, errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            return "(no stderr file)"
        if len(lines) > tail:
            lines = [f"... ({len(lines) - tail} earlier lines)"] + lines[-tail:]
        return "\n".join(lines)

    def diagnostics(self):
        return (f"vigild command: {' '.join(self.cmd)}\n--- vigild stdout:\n"
                + "\n".join(self.stdout) + f"\n--- vigild stderr:\n{self.stderr_text()}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=20):
        """SIGTERM, then wait for exit (the contract: drains, writes the last flow events, 0)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.exit_code = "killed (no exit within %d s of SIGTERM)" % timeout
                return self.exit_code
        self.exit_code = self.proc.returncode
        return self.exit_code

    def ctl(self, *args, timeout=10):
        return run([self.vigilctl, "--socket", self.socket, *args], timeout)

    def status(self):
        res = self.ctl("status", "--json")
        if res.returncode != 0:
            raise Failure(f"vigilctl status --json failed\n{describe(res)}\n"
                          f"--- vigild stderr:\n{self.stderr_text(30)}")
        try:
            return json.loads(res.stdout)
        except json.JSONDecodeError as e:
            raise Failure(f"vigilctl status --json printed no JSON ({e}):\n{res.stdout[:2000]}")

    def events(self):
        """Every line of out/eve.json (a line that is not JSON fails the test)."""
        paths = sorted(glob.glob(os.path.join(self.out_dir, "**", "eve*.json"), recursive=True))
        files = sorted(os.listdir(self.out_dir)) if os.path.isdir(self.out_dir) else "no folder"
        check(paths, f"no eve.json under {self.out_dir} (files: {files})")
        events = []
        for path in paths:
            with open(path, errors="replace") as f:
                for n, line in enumerate(f, 1):
                    if not line.strip():
                        continue
                    try:
                        events.append(json.loads(line))
                    except json.JSONDecodeError as e:
                        raise Failure(f"{path}:{n}: not JSON ({e}): {line[:200]!r}")
        return events


def wire_exec(wire, ns):
    return ["ip", "netns", "exec", ns]


# ---------------------------------------------------------------------------------------------
# Peers


class Peers:
    def __init__(self, wire, work):
        self.wire, self.work = wire, work
        self.log = os.path.join(work, "server.log")
        self.body = (b"vigil inline e2e body\n" + b"0123456789abcdef" * 200 + b"\nend\n")
        self.body_file = os.path.join(work, "body.bin")
        with open(self.body_file, "wb") as f:
            f.write(self.body)
        self.url = f"http://{wire.srv_ip}:8080/"

    def start_server(self):
        open(self.log, "w").close()
        self.server = popen(wire_exec(self.wire, self.wire.srv_ns) + [
            sys.executable, PEERS, "server", "--addr", self.wire.srv_ip, "--log", self.log,
            "--body-file", self.body_file], stdout=subprocess.PIPE,
            stderr=open(os.path.join(self.work, "server.stderr"), "w"), text=True)
        line = self._readline(self.server, 10)
        check(line.strip() == "ready", f"the server in {self.wire.srv_ns} did not start: "
                                       f"{line!r}; stderr: {self._server_err()}")

    def _server_err(self):
        with open(os.path.join(self.work, "server.stderr"), errors="replace") as f:
            return f.read()[-2000:]

    @staticmethod
    def _readline(p, timeout):
        box = []
        t = threading.Thread(target=lambda: box.append(p.stdout.readline()), daemon=True)
        t.start()
        t.join(timeout)
        return box[0] if box else ""

    def server_log(self):
        with open(self.log, errors="replace") as f:
            return f.read().splitlines()

    def client(self, *args, timeout=60):
        """One client operation in the client ns -> its JSON result."""
        cmd = wire_exec(self.wire, self.wire.cli_ns) + [sys.executable, PEERS, *args]
        res = run(cmd, timeout)
        if res.returncode != 0:
            raise Failure(f"client operation {args[0]} crashed\n{describe(res)}")
        try:
            return json.loads(res.stdout.strip().splitlines()[-1])
        except (json.JSONDecodeError, IndexError):
            raise Failure(f"client operation {args[0]} printed no JSON\n{describe(res)}")

    def get(self, count=1, parallel=1, timeout=5.0, path="/", spread=False):
        """GETs on new connections; spread: from every client address in turn."""
        url = f"http://{self.wire.srv_ip}:8080{path}"
        sources = [self.wire.cli_ip] + self.wire.cli_extra if spread else []
        return self.client("get", "--url", url, "--count", str(count), "--parallel",
                           str(parallel), "--timeout", str(timeout), "--sources",
                           ",".join(sources))["results"]

    def bad_gets(self, results):
        """Descriptions of the GETs that did not return exactly the body."""
        bad = []
        for r in results:
            if not r["ok"]:
                bad.append(f"{r.get('source') or 'client'}: {r['error']} after {r['elapsed']} s")
            elif r["status"] != 200 or r["body"].encode("latin-1") != self.body:
                bad.append(f"status {r['status']}, {r['body_len']} bytes "
                           f"(expected 200 and {len(self.body)} bytes, exact)")
        return bad


# ---------------------------------------------------------------------------------------------
# Helpers on the status JSON and eve.json


def port_of(status, name):
    for p in status.get("ports", []):
        if p.get("name") == name:
            return p
    raise Failure(f"status has no port {name!r}: {json.dumps(status.get('ports'))[:1500]}")


def fwd(status, name):
    p = port_of(status, name)
    f = p.get("forward")
    check(isinstance(f, dict), f"status port {name} has no \"forward\" object: {json.dumps(p)}")
    for k in ("received", "forwarded", "verdict_drops", "tx_full", "bypassed"):
        check(isinstance(f.get(k), int),
              f"status port {name} forward.{k} missing or not an integer: {json.dumps(f)}")
    return f


def bypass_engaged(status, bypass_file):
    b = status.get("bypass", {})
    relay = b.get("relay")
    software = b.get("software")
    try:
        with open(bypass_file) as f:
            sim = f.read().strip()
    except OSError:
        sim = None
    return (relay == "bypassed" or software is True or sim == "bypassed"), \
        f"relay={relay!r} software={software!r} sim-file={sim!r}"


def alerts(events, sid):
    return [e for e in events if e.get("event_type") == "alert"
            and e.get("alert", {}).get("signature_id") == sid]


# ---------------------------------------------------------------------------------------------
# The checks. Each has a live part (vigild running) that may return a post part, run after
# vigild stopped (eve.json is complete only then), called with the list of events.


class Ctx:
    def __init__(self, app, peers, wire):
        self.app, self.peers, self.wire = app, peers, wire
        self.info = []  # notes printed with the results (not failures)
        self.kernel0 = None  # veth counters before vigild started


def live_forward(c):
    p = c.peers
    r = p.get(count=1, timeout=5)
    bad = p.bad_gets(r)
    check(not bad, f"benign GET {p.url} from {c.wire.cli_ns}: {bad[:1]}")
    d = p.client("dns", "--server", c.wire.srv_ip, "--name", "www.example.com")
    check(d.get("answer") == c.wire.srv_ip,
          f"DNS query www.example.com to {c.wire.srv_ip}:53: expected answer {c.wire.srv_ip}, "
          f"got {json.dumps(d)}")
    r = p.get(count=20, parallel=20, timeout=8, spread=True)
    bad = p.bad_gets(r)
    check(not bad, f"{len(bad)} of 20 parallel GETs failed: {bad}")
    log = p.server_log()
    n = sum(1 for line in log if line.startswith("http "))
    check(n >= 21, f"server logged {n} HTTP requests, expected at least 21")

    def post(events):
        a = alerts(events, 1003)
        check(a, "eve.json has no alert sid 1003 (dns.query content \"example\") for the DNS "
                 "query of www.example.com")
        check(all(x["alert"].get("action") == "allowed" for x in a),
              f"alert sid 1003 is an `alert` rule but its action is not allowed: "
              f"{[x['alert'].get('action') for x in a]}")
        dns = [e for e in events if e.get("event_type") == "dns"]
        check(dns, "eve.json has no dns event for the query of www.example.com")
    return post


def live_drop(c):
    p = c.peers
    b = p.client("blocked", "--host", c.wire.srv_ip, "--path", "/blocked", "--timeout", "1.5")
    a0, a1 = b["attempt0"], b["attempt1"]
    check(a0["outcome"] == "timeout",
          f"GET /blocked: expected the client to time out (request dropped inline), got "
          f"{json.dumps(a0)}")
    check(a1["outcome"] in ("timeout", "error"),
          f"a second request on the blocked connection got through: {json.dumps(a1)}")
    time.sleep(0.3)
    log = p.server_log()
    leaked = [line for line in log if "/blocked" in line]
    check(not leaked, f"the server received the blocked request: {leaked}")
    same = [line for line in log if line.startswith("http ") and
            line.split()[1].endswith(f":{b['local_port']}")]
    check(not same, f"the server got requests on the blocked connection "
                    f"(client port {b['local_port']}): {same}")
    r = p.get(count=3, parallel=3, timeout=5)
    bad = p.bad_gets(r)
    check(not bad, f"benign GETs after the blocked one failed: {bad}")
    port = b["local_port"]

    def post(events):
        a = alerts(events, 1001)
        check(a, "eve.json has no alert sid 1001 (http.uri /blocked)")
        mine = [x for x in a if x.get("src_port") == port or x.get("dest_port") == port]
        check(mine, f"no alert sid 1001 for the blocked connection (client port {port}); alerts: "
                    f"{[(x.get('src_port'), x.get('dest_port')) for x in a]}")
        acts = [x["alert"].get("action") for x in mine]
        check(all(x == "blocked" for x in acts),
              f"alert sid 1001 (drop rule, ips mode): expected action blocked, got {acts}")
    return post


def live_reject(c):
    p = c.peers
    r = p.client("connect", "--host", c.wire.srv_ip, "--port", "9999", "--timeout", "5")
    check(r["outcome"] in ("refused", "reset", "connected_then_reset"),
          f"TCP connect to {c.wire.srv_ip}:9999: expected refused/reset by the appliance's RST, "
          f"got {json.dumps(r)}")
    check(r["elapsed"] < 1.0,
          f"TCP connect to :9999 was {r['outcome']} only after {r['elapsed']} s (expected the "
          f"RST well before any retransmission, < 1 s)")
    if r["outcome"] == "connected_then_reset":
        c.info.append("reject: the connection to :9999 was established before the RST came "
                      "(the SYN passed)")
    time.sleep(0.3)
    acc = [line for line in p.server_log() if line.startswith("accept9999")]
    check(not acc, f"the server's :9999 listener accepted a connection: {acc}")
    st = c.app.status()
    sent = rejects_sent(st)
    check(sent >= 1, f"status: rejects_sent (ports[].forward and workers[]) sum to {sent}, "
                     f"expected >= 1: ports {json.dumps(st.get('ports'))}")
    port = r.get("local_port")

    def post(events):
        a = alerts(events, 1002)
        check(a, "eve.json has no alert sid 1002 (reject tcp -> :9999)")
        mine = [x for x in a if port is None or x.get("src_port") == port]
        check(mine, f"no alert sid 1002 from client port {port}: "
                    f"{[(x.get('src_port'), x.get('dest_port')) for x in a]}")
        acts = [x["alert"].get("action") for x in mine]
        check(all(x == "blocked" for x in acts),
              f"alert sid 1002 (reject rule, ips mode): expected action blocked, got {acts}")
    return post


def traffic_mix(c):
    """Some of everything, outcomes not checked (the counters check's traffic)."""
    p = c.peers
    p.get(count=10, parallel=5, timeout=5)
    p.client("dns", "--server", c.wire.srv_ip, "--name", "www.example.com")
    p.client("blocked", "--host", c.wire.srv_ip, "--path", "/blocked", "--timeout", "1.0")
    p.client("connect", "--host", c.wire.srv_ip, "--port", "9999", "--timeout", "2")
    p.get(count=3, parallel=3, timeout=5)


def settled_status(c, timeout=5.0):
    """Status and veth counters once nothing moves any more (two reads 300 ms apart agree)."""
    def snap():
        st = c.app.status()
        # Only traffic counters: beats and silent_ms move all the time.
        key = json.dumps([st.get("ports"), [{k: w.get(k) for k in ("rx", "tx", "handed_off",
                                                                    "taken_over")}
                                            for w in st.get("workers", [])]], sort_keys=True)
        kern = {d: c.wire.link_counters(d) for d in (c.wire.va, c.wire.vb)}
        return st, kern, key + json.dumps(kern, sort_keys=True)
    deadline = time.monotonic() + timeout
    prev = snap()
    while True:
        time.sleep(0.3)
        cur = snap()
        if cur[2] == prev[2]:
            return cur[0], cur[1]
        if time.monotonic() > deadline:
            c.info.append("counters: still moving after 5 s; compared the last read")
            return cur[0], cur[1]
        prev = cur


def rejects_sent(st):
    """Answers (RST / ICMP) the appliance sent: ports[].forward.rejects_sent (per output port) or,
    as the contract's worker object has it, workers[].rejects_sent."""
    by_port = sum(p.get("forward", {}).get("rejects_sent", 0) for p in st.get("ports", []))
    by_worker = sum(w.get("rejects_sent", 0) for w in st.get("workers", []))
    return max(by_port, by_worker)


def invariant_errors(st, names=("lan0", "wan0")):
    """received = forwarded + verdict_drops + tx_full (+ fail_closed + handoff_full, the drop
    causes vigild counts besides the contract's three); bypassed is part of forwarded."""
    errs = []
    for n in names:
        f = fwd(st, n)
        fc = f.get("fail_closed", 0)
        hf = f.get("handoff_full", 0)
        lhs = f["received"]
        rhs = f["forwarded"] + f["verdict_drops"] + f["tx_full"] + fc + hf
        if lhs != rhs:
            hint = ""
            if lhs == rhs + f["bypassed"]:
                hint = " (it adds up only with bypassed counted on top of forwarded)"
            errs.append(f"port {n}: received {lhs} != forwarded {f['forwarded']} + verdict_drops "
                        f"{f['verdict_drops']} + tx_full {f['tx_full']} + fail_closed {fc} + "
                        f"handoff_full {hf} = {rhs}{hint}; forward={json.dumps(f)}")
        if f["bypassed"] > f["forwarded"]:
            errs.append(f"port {n}: bypassed {f['bypassed']} > forwarded {f['forwarded']}")
    return errs


CONTRACT_KEYS = {
    "port": ["name", "role", "link_up", "rx_packets", "tx_packets", "drops", "bypassed"],
    "port.drops": ["imissed", "rx_nombuf", "tx_full", "verdict", "fail_closed"],
    "worker": ["index", "lcore", "rx", "tx", "handed_off", "verdict_drops", "rejects_sent",
               "bypassed", "beats"],
    "bypass": ["relay", "software"],
}


def contract_gaps(st):
    """Keys of the contract's status JSON shape (notes/issue6.md) that the status lacks; reported
    as notes (the invariants below use what vigild has, e.g. ports[].forward)."""
    gaps = []
    for p in st.get("ports", [])[:1]:
        gaps += [f"ports[].{k}" for k in CONTRACT_KEYS["port"] if k not in p]
        gaps += [f"ports[].drops.{k}" for k in CONTRACT_KEYS["port.drops"]
                 if k not in p.get("drops", {})]
    for w in st.get("workers", [])[:1]:
        gaps += [f"workers[].{k}" for k in CONTRACT_KEYS["worker"] if k not in w]
    gaps += [f"bypass.{k}" for k in CONTRACT_KEYS["bypass"] if k not in st.get("bypass", {})]
    if not isinstance(st.get("health", {}).get("events"), list):
        gaps.append("health.events")
    return gaps


def live_counters(c, make_traffic=True):
    if make_traffic:
        traffic_mix(c)
    st, kern = settled_status(c)
    gaps = contract_gaps(st)
    if gaps:
        c.info.append(f"counters: status JSON lacks the contract's {', '.join(gaps)}")
    errs = invariant_errors(st)
    w = c.wire
    k0 = c.kernel0
    d = {dev: {k: kern[dev][k] - k0[dev][k] for k in kern[dev]} for dev in kern}
    pairs = (("lan0", w.va, "wan0"), ("wan0", w.vb, "lan0"))
    rejects = rejects_sent(st)
    for name, dev, peer in pairs:
        port = port_of(st, name)
        f = fwd(st, name)
        drops = port.get("drops", {})
        missed = drops.get("imissed", 0) + drops.get("rx_nombuf", 0)
        if port.get("rx_packets") != f["received"]:
            errs.append(f"port {name}: rx_packets {port.get('rx_packets')} != forward.received "
                        f"{f['received']}")
        if d[dev]["rx"] != port.get("rx_packets", 0) + missed:
            errs.append(f"port {name}: kernel {dev} rx_packets grew by {d[dev]['rx']} but the "
                        f"port received {port.get('rx_packets')} (+ imissed/rx_nombuf {missed})")
        if d[dev]["tx"] != port.get("tx_packets"):
            errs.append(f"port {name}: kernel {dev} tx_packets grew by {d[dev]['tx']} but the "
                        f"port's tx_packets is {port.get('tx_packets')}")
        pf = fwd(st, peer)["forwarded"]
        tx = port.get("tx_packets", 0)
        own = f.get("rejects_sent")
        if own is not None:
            if tx != pf + own:
                errs.append(f"port {name}: tx_packets {tx} != {peer}'s forwarded {pf} + the "
                            f"{own} rejects sent out of {name}")
        elif not pf <= tx <= pf + rejects:
            errs.append(f"port {name}: tx_packets {tx} is not {peer}'s forwarded {pf} plus at "
                        f"most the {rejects} rejects sent")
    wrx = sum(x.get("rx", 0) for x in st.get("workers", []))
    prx = sum(fwd(st, n)["received"] for n in ("lan0", "wan0"))
    if wrx != prx:
        c.info.append(f"counters: workers' rx sum {wrx} != ports' received sum {prx}")
    check(not errs, "counters do not add up:\n  " + "\n  ".join(errs) +
          f"\n  kernel deltas: {json.dumps(d)}\n  status ports: {json.dumps(st.get('ports'))}"
          f"\n  status workers: {json.dumps(st.get('workers'))}")
    c.info.append(f"counters: lan0 {json.dumps(fwd(st, 'lan0'))}, wan0 "
                  f"{json.dumps(fwd(st, 'wan0'))}, kernel deltas {json.dumps(d)}")
    return None


def live_symmetry(c, make_traffic=True):
    p = c.peers
    if make_traffic:
        r = p.get(count=24, parallel=12, timeout=8, spread=True)
        bad = p.bad_gets(r)
        check(not bad, f"{len(bad)} of 24 GETs failed: {bad}")
        p.client("dns", "--server", c.wire.srv_ip, "--name", "www.example.com")
    st = c.app.status()
    ws = st.get("workers", [])
    check(len(ws) == 2, f"status lists {len(ws)} workers, expected 2: {json.dumps(ws)}")

    def post(events):
        flows = [e for e in events if e.get("event_type") == "flow"]
        check(len(flows) >= 20, f"eve.json has {len(flows)} flow events, expected >= 20")
        noworker = [e.get("flow_id") for e in flows if not isinstance(e.get("worker"), int)]
        check(not noworker, f"{len(noworker)} flow events without an integer \"worker\": "
                            f"flow_ids {noworker[:5]}")
        by_id, by_tuple = {}, {}
        for e in flows:
            by_id.setdefault(e["flow_id"], set()).add(e["worker"])
            ends = sorted([(e.get("src_ip"), e.get("src_port", 0)),
                           (e.get("dest_ip"), e.get("dest_port", 0))])
            by_tuple.setdefault((e.get("proto"), *ends[0], *ends[1]), set()).add(e["worker"])
        split = {k: v for k, v in by_id.items() if len(v) > 1}
        check(not split, f"flow_ids on two workers: {split}")
        split = {str(k): sorted(v) for k, v in by_tuple.items() if len(v) > 1}
        check(not split, f"5-tuples on two workers: {split}")
        http = [e for e in flows if e.get("proto") == "TCP" and e.get("dest_port") == 8080]
        check(len(http) >= 20, f"{len(http)} TCP flow events to :8080, expected >= 20")
        one_way = [(e.get("src_port"), e["flow"].get("pkts_toserver"),
                    e["flow"].get("pkts_toclient"), e["worker"]) for e in http
                   if not (e["flow"].get("pkts_toserver", 0) > 0
                           and e["flow"].get("pkts_toclient", 0) > 0)]
        check(not one_way, f"{len(one_way)} of {len(http)} HTTP flows lack one direction "
                           f"(client port, pkts_toserver, pkts_toclient, worker): {one_way[:10]}")
        # Split-direction detector: the same connection seen as two flows (one per direction)
        # would show up as a second record whose client is the server.
        rev = [e for e in flows if e.get("src_port") == 8080]
        check(not rev, f"{len(rev)} flow records with the server (:8080) as client - a flow's "
                       f"directions were split: {[e.get('dest_port') for e in rev][:10]}")
        spread = {}
        for e in flows:
            spread[e["worker"]] = spread.get(e["worker"], 0) + 1
        c.info.append(f"symmetry: {len(flows)} flows by worker {dict(sorted(spread.items()))}")
        if len(spread) < 2:
            c.info.append(f"symmetry: WARNING every flow went to worker(s) {sorted(spread)}: the "
                          f"distributor did not spread {len(flows)} flows over 2 workers")
    return post


def stall_episode(c, worker):
    """One stall of `worker` for STALL_FOR_MS; returns the health events status showed."""
    app, p = c.app, c.peers
    st = app.status()
    engaged, how = bypass_engaged(st, app.bypass_file)
    check(not engaged, f"worker {worker}: bypass already engaged before the stall: {how}")
    t0 = time.monotonic()
    res = app.ctl("debug", "stall-worker", "--worker", str(worker), "--ms", str(STALL_FOR_MS))
    check(res.returncode == 0, f"vigilctl debug stall-worker --worker {worker} failed\n"
                               f"{describe(res)}")
    t_cmd = time.monotonic() - t0
    # Detection: stall_ms after the last beat, sampled every check_interval_ms; + 600 ms margin
    # for the command's round trip and a loaded 2-CPU machine.
    limit = (STALL_MS + 2 * CHECK_INTERVAL_MS + 600) / 1000.0
    t_engaged = None
    while time.monotonic() - t0 < limit + t_cmd:
        engaged, how = bypass_engaged(app.status(), app.bypass_file)
        if engaged:
            t_engaged = time.monotonic() - t0
            break
        time.sleep(0.03)
    check(t_engaged is not None,
          f"worker {worker}: bypass not engaged {limit + t_cmd:.2f} s after stall-worker "
          f"(stall_ms {STALL_MS}): {how}\n--- vigild stderr:\n{app.stderr_text(30)}")
    # HTTP during the stall: 8 new connections from 8 client addresses (so flows of both
    # workers), finished before the stall ends.
    budget = STALL_FOR_MS / 1000.0 - (time.monotonic() - t0) - 0.3
    check(budget > 1.0, f"worker {worker}: bypass engaged only {t_engaged:.2f} s into a "
                        f"{STALL_FOR_MS} ms stall")
    r = p.get(count=8, parallel=8, timeout=round(budget, 2), spread=True)
    t_http = time.monotonic() - t0
    bad = p.bad_gets(r)
    st_during = app.status()
    still, how_during = bypass_engaged(st_during, app.bypass_file)
    check(not bad, f"worker {worker}: {len(bad)} of 8 GETs during the stall (bypass engaged at "
                   f"{t_engaged:.2f} s, GETs done at {t_http:.2f} s of a "
                   f"{STALL_FOR_MS / 1000:.1f} s stall) failed: {bad}")
    check(still, f"worker {worker}: bypass released while the worker was still stalled "
                 f"({t_http:.2f} s): {how_during}")
    hev = st_during.get("health", {}).get("events", [])
    check(hev, f"worker {worker}: status shows no health event during the stall: "
               f"{json.dumps(st_during.get('health'))}")
    # Release: stall end + recover_ms (+ the detection sampling and a margin).
    limit = (STALL_FOR_MS + RECOVER_MS + 4 * CHECK_INTERVAL_MS + 1500) / 1000.0
    t_released = None
    while time.monotonic() - t0 < limit:
        engaged, how = bypass_engaged(app.status(), app.bypass_file)
        if not engaged:
            t_released = time.monotonic() - t0
            break
        time.sleep(0.05)
    check(t_released is not None,
          f"worker {worker}: bypass still engaged {limit:.2f} s after a {STALL_FOR_MS} ms stall "
          f"(recover_ms {RECOVER_MS}): {how}\n--- vigild stderr:\n{app.stderr_text(30)}")
    early = (STALL_FOR_MS + RECOVER_MS) / 1000.0 - 0.25
    check(t_released >= early,
          f"worker {worker}: bypass released {t_released:.2f} s after the stall began, before "
          f"the stall ({STALL_FOR_MS} ms) + recover_ms ({RECOVER_MS}) had passed")
    c.info.append(f"stall worker {worker}: engaged at {t_engaged:.2f} s, 8 GETs ok by "
                  f"{t_http:.2f} s, released at {t_released:.2f} s (stall {STALL_FOR_MS} ms, "
                  f"recover {RECOVER_MS} ms)")
    r = p.get(count=4, parallel=4, timeout=5, spread=True)
    bad = p.bad_gets(r)
    check(not bad, f"worker {worker}: GETs after the recovery failed: {bad}")
    return hev


def live_stall(c):
    # Worker 0 polls the single RX queue of each af_packet port and hands flows to worker 1;
    # stalling each in turn covers both the take-over of its queue and of its flows.
    hev = []
    for worker in (0, 1):
        hev = stall_episode(c, worker)
    st, _ = settled_status(c)
    errs = invariant_errors(st)
    check(not errs, "after the stalls, counters do not add up:\n  " + "\n  ".join(errs))
    hev = st.get("health", {}).get("events", []) or hev

    def post(events):
        h = [e for e in events if e.get("event_type") == "health"]
        check(h, f"eve.json has no health event (event_type \"health\"); status showed "
                 f"{json.dumps(hev)[:800]}; event types in eve.json: "
                 f"{sorted(set(e.get('event_type') for e in events))}")
        text = json.dumps(h)
        check(text.count("stall") >= 2, f"eve.json has fewer than 2 health events about a stall "
                                        f"(2 episodes): {text[:1500]}")
        check(text.count("recover") >= 2, f"eve.json has fewer than 2 health events about a "
                                          f"recovery (2 episodes): {text[:1500]}")
        c.info.append(f"stall: eve.json health events: {text[:1500]}")
    return post


def live_telemetry(c):
    app, w = c.app, c.wire
    tele = "/usr/bin/dpdk-telemetry.py"
    check(os.path.exists(tele), f"{tele} not found")
    bad = c.peers.bad_gets(c.peers.get(count=4, parallel=4, timeout=5, spread=True))
    check(not bad, f"GETs before the telemetry queries failed: {bad}")
    time.sleep(0.2)
    res = run(wire_exec(w, w.app_ns) + [sys.executable, tele, "-f", app.prefix], 20,
              input_text="/\n/vigil/ports\n/vigil/workers\n/ethdev/stats,0\n")
    replies = []
    for line in res.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                replies.append(json.loads(line))
            except json.JSONDecodeError:
                pass

    def reply(cmd):
        return next((r[cmd] for r in replies if cmd in r), None)
    cmds = reply("/")
    check(cmds is not None, f"dpdk-telemetry.py -f {app.prefix}: no command list\n{describe(res)}")
    missing = [x for x in ("/vigil/ports", "/vigil/workers") if x not in cmds]
    check(not missing, f"dpdk-telemetry.py: {missing} not registered; commands: {cmds}")
    ports, workers = reply("/vigil/ports"), reply("/vigil/workers")
    check(ports is not None, f"no reply to /vigil/ports\n{describe(res)}")
    check(workers is not None, f"no reply to /vigil/workers\n{describe(res)}")
    errs = []
    text = json.dumps(ports)
    if not ("lan0" in text and "wan0" in text):
        errs.append(f"/vigil/ports does not name lan0 and wan0: {text[:1500]}")

    def numbers(x):
        if isinstance(x, bool):
            return []
        if isinstance(x, int):
            return [x]
        if isinstance(x, dict):
            return [n for v in x.values() for n in numbers(v)]
        if isinstance(x, list):
            return [n for v in x for n in numbers(v)]
        return []
    if not any(n > 0 for n in numbers(ports)):
        errs.append(f"/vigil/ports shows no non-zero counter after traffic: {text[:1500]}")
    if not any(n > 0 for n in numbers(workers)):
        errs.append(f"/vigil/workers shows no non-zero counter: {json.dumps(workers)[:1500]}")
    eth = reply("/ethdev/stats")
    if not (isinstance(eth, dict) and eth.get("ipackets", 0) > 0):
        errs.append(f"/ethdev/stats,0 shows no ipackets: {json.dumps(eth)[:500]}")
    check(not errs, "telemetry: " + "\n  ".join(errs))
    c.info.append(f"telemetry: /vigil/ports = {text[:300]}")


def live_dumpcap(c):
    app, w = c.app, c.wire
    if not app.huge:
        raise SkipCheck(f"no free 2 MB hugepages on a mounted hugetlbfs ({hugepage_state()}): "
                        f"dpdk-dumpcap, a DPDK secondary process, cannot attach to vigild "
                        f"running with --no-huge (EAL: \"Cannot get hugepage information\")")
    pcap = os.path.join(app.work, "port0.pcapng")
    dev = "net_af_packet0"
    dcmd = wire_exec(w, w.app_ns) + ["dpdk-dumpcap", f"--file-prefix={app.prefix}", "-i", dev,
                                     "-c", "5", "-w", pcap, "-q"]
    dump = popen(dcmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    trickle = popen(wire_exec(w, w.cli_ns) + [sys.executable, PEERS, "trickle", "--url",
                                              c.peers.url, "--interval", "0.1", "--duration",
                                              "15"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        try:
            out, err = dump.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            dump.kill()
            out, err = dump.communicate()
            raise Failure(f"`{' '.join(dcmd)}` captured fewer than 5 packets in 20 s\n--- stdout:"
                          f"\n{out.strip()}\n--- stderr:\n{err.strip()}")
    finally:
        trickle.kill()
        trickle.wait()
    check(dump.returncode == 0, f"`{' '.join(dcmd)}` exited {dump.returncode}\n--- stdout:\n"
                                f"{out.strip()}\n--- stderr:\n{err.strip()}\n--- vigild stderr "
                                f"(tail):\n{app.stderr_text(15)}")
    check(os.path.exists(pcap), f"dpdk-dumpcap wrote no {pcap}")
    if shutil.which("tshark"):
        res = run(["tshark", "-r", pcap, "-T", "fields", "-e", "frame.number", "-e",
                   "frame.protocols", "-e", "ip.src", "-e", "ip.dst"], 30)
        check(res.returncode == 0, f"tshark cannot read the capture\n{describe(res)}")
        rows = [x for x in res.stdout.splitlines() if x.strip()]
        check(len(rows) >= 5, f"tshark reads {len(rows)} packets from {pcap}, expected 5:\n"
                              f"{res.stdout}")
        ours = [x for x in rows if w.cli_ip in x or w.srv_ip in x]
        check(ours, f"none of the captured packets is between {w.cli_ip} and {w.srv_ip}: {rows}")
        c.info.append(f"dumpcap: {len(rows)} packets, e.g. {rows[0]!r}")
    else:
        c.info.append("tools: tshark not found; the capture was not read back")


LIVE_CHECKS = {"forward": live_forward, "drop": live_drop, "reject": live_reject,
               "counters": live_counters, "symmetry": live_symmetry, "stall": live_stall,
               "telemetry": live_telemetry, "dumpcap": live_dumpcap}


# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vigild", required=True)
    ap.add_argument("--vigilctl", required=True)
    ap.add_argument("--check", action="append", default=[],
                    help=f"one of {', '.join(CHECKS)} or all (repeatable; default all)")
    ap.add_argument("--tmp", default=None, help="parent of the test's temporary folder")
    args = ap.parse_args()
    selected = []
    for ch in args.check or ["all"]:
        if ch == "all":
            selected += CHECKS
        elif ch in CHECKS:
            selected.append(ch)
        else:
            ap.error(f"unknown check {ch!r}")
    selected = [c for c in CHECKS if c in selected]  # the order above, each once
    name = "e2e.inline" + ("" if len(selected) > 1 else "." + selected[0])

    if os.geteuid() != 0:
        print(f"{name}: SKIPPED: needs root (network namespaces, af_packet)")
        return SKIP
    if not shutil.which("ip"):
        print(f"{name}: SKIPPED: no `ip` program")
        return SKIP
    probe = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
    if probe.returncode != 0:
        print(f"{name}: SKIPPED: `ip netns` does not work: {probe.stderr.strip()}")
        return SKIP
    args.vigild, args.vigilctl = os.path.abspath(args.vigild), os.path.abspath(args.vigilctl)
    for prog in (args.vigild, args.vigilctl):
        if not os.access(prog, os.X_OK):
            print(f"{name}: FAIL: {prog} is not an executable program", file=sys.stderr)
            return 1

    def stop(signum, _frame):
        raise Failure(f"stopped by signal {signum}")
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    if args.tmp:
        os.makedirs(args.tmp, exist_ok=True)
    ident = os.getpid()
    work = tempfile.mkdtemp(prefix=f"vigil-e2e-inline-{ident}-", dir=args.tmp)
    prefix = f"vigil-e2e-{ident}"
    wire = Wire(ident)
    results = {}  # check -> None (pass) or message
    skipped = {}  # check -> why it could not run here
    started = time.monotonic()
    app = None
    hugepages = None
    try:
        try:
            remove_stale(args.tmp)
            wire.up()
            peers = Peers(wire, work)
            peers.start_server()
            hugepages = Hugepages(work)
            huge = "dumpcap" in selected and hugepages.ensure()
            app = Appliance(args.vigild, args.vigilctl, wire, work, prefix, huge)
            if huge:
                print(f"{name}: board uses 2 MB hugepages (-m {HUGE_MB}) instead of --no-huge, "
                      f"for dpdk-dumpcap ({hugepage_state()})")
            ctx = Ctx(app, peers, wire)
            ctx.kernel0 = {d: wire.link_counters(d) for d in (wire.va, wire.vb)}
            line = app.start()
            print(f"{name}: {line}")
            # The contract: `vigild: running <board>: <N> workers, ports lan0 (inline, peer
            # wan0), ...` (details after the peer allowed).
            want = [r"^vigild: running e2e-inline: 2 workers, ports ",
                    r"lan0 \(inline, peer wan0[,)]", r"wan0 \(inline, peer lan0[,)]"]
            missing = [x for x in want if not re.search(x, line)]
            check(not missing, f"the running line lacks {missing}: {line!r}")
        except Failure as e:
            msg = str(e)
            if app is not None and app.proc is not None and "vigild stderr" not in msg:
                msg += f"\n--- vigild stderr:\n{app.stderr_text()}"
            results["setup"] = msg
            raise
        posts = {}
        for ch in selected:
            fn = LIVE_CHECKS[ch]
            t = time.monotonic()
            try:
                if not app.alive():
                    raise Failure(f"vigild is not running any more (exit {app.proc.returncode})\n"
                                  f"{app.diagnostics()}")
                if ch in ("counters", "symmetry") and len(selected) > 1 and \
                        set(selected) & {"forward", "drop", "reject"}:
                    post = fn(ctx, make_traffic=(ch == "symmetry" and "forward" not in selected))
                else:
                    post = fn(ctx)
                if post:
                    posts[ch] = post
                else:
                    results[ch] = None
                print(f"{name}: {ch}: live part done in {time.monotonic() - t:.1f} s")
            except Failure as e:
                results[ch] = str(e)
                print(f"{name}: {ch}: FAIL (live)", file=sys.stderr)
            except SkipCheck as e:
                skipped[ch] = str(e)
        rc = app.stop()
        if rc != 0:
            msg = (f"vigild did not exit 0 on SIGTERM: {rc}\n--- vigild stderr:\n"
                   f"{app.stderr_text()}")
            results.setdefault("shutdown", msg)
        events = None
        if posts:
            try:
                events = app.events()
            except Failure as e:
                for ch in posts:
                    results.setdefault(ch, f"eve.json: {e}")
        for ch, post in posts.items():
            if ch in results:
                continue
            try:
                post(events)
                results[ch] = None
            except Failure as e:
                results[ch] = str(e)
        for note in wire.notes + ctx.info:
            print(f"{name}: note: {note}")
    except Failure as e:
        if not results:
            results["setup"] = str(e)
    finally:
        if app is not None and app.alive():
            app.stop(timeout=5)
        kill_all()
        wire.down()
        if hugepages is not None:
            hugepages.restore()
        shutil.rmtree(os.path.join("/var/run/dpdk", prefix), ignore_errors=True)
        if os.environ.get("VIGIL_E2E_KEEP") == "1":
            print(f"{name}: kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    failed = 0
    for ch, why in skipped.items():
        print(f"{name}: {ch}: SKIPPED: {why}")
    for ch in [k for k in ("setup",) if k in results] + selected + \
            [k for k in results if k not in selected and k != "setup"]:
        if ch in skipped:
            continue
        msg = results.get(ch, "not run (setup failed)" if "setup" in results else "not run")
        if msg is None:
            print(f"{name}: {ch}: PASS")
        else:
            failed += 1
            print(f"{name}: {ch}: FAIL: {msg}", file=sys.stderr)
    took = time.monotonic() - started
    verdict = "PASS" if not failed else f"FAIL ({failed} failed)"
    print(f"{name}: {verdict}, {len(selected) - len(skipped)} checks run, {len(skipped)} skipped, "
          f"in {took:.1f} s")
    if failed:
        return 1
    return SKIP if skipped and len(skipped) == len(selected) else 0


if __name__ == "__main__":
    sys.exit(main())
