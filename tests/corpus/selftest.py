#!/usr/bin/env python3
"""Self-test of run_corpus.py with a fake vigild: the comparison rules (exact counts, null = at
least one, absent, total_alerts, alert_checks), exit statuses, signals, timeouts, exceptions, the
level table, the exit status of the runner, and the suricata.yaml -> --set translation, on
synthetic cases and (when ../shared is there) on real corpus cases with action-order and
packet-alert-max sections."""
import argparse
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import run_corpus  # noqa: E402

RUNNER = os.path.join(HERE, "run_corpus.py")

# Plays `vigild replay`: records its argv in OUT/argv.json, then acts as $FAKE_DIR/<case>.json
# says (case = the folder of --pcap): {"eve": [events], "raw": "text appended to eve.json",
# "exit": N, "signal": "SIGSEGV", "sleep": seconds, "stderr": "text", "no_eve": true}.
FAKE_VIGILD = r'''#!/usr/bin/env python3
import json, os, signal, sys, time
argv = sys.argv[1:]
assert argv[0] == "replay", argv
out = argv[argv.index("--out") + 1]
case = os.path.basename(os.path.dirname(argv[argv.index("--pcap") + 1]))
with open(os.path.join(out, "argv.json"), "w") as f:
    json.dump(argv, f)
spec = {}
path = os.path.join(os.environ["FAKE_DIR"], case + ".json")
if os.path.exists(path):
    with open(path) as f:
        spec = json.load(f)
if spec.get("sleep"):
    time.sleep(spec["sleep"])
if not spec.get("no_eve"):
    with open(os.path.join(out, "eve.json"), "w") as f:
        for e in spec.get("eve", []):
            f.write(json.dumps(e) + "\n")
        f.write(spec.get("raw", ""))
if spec.get("stderr"):
    sys.stderr.write(spec["stderr"])
if spec.get("signal"):
    os.kill(os.getpid(), getattr(signal, spec["signal"]))
sys.exit(spec.get("exit", 0))
'''

failures = []


def check(cond, what):
    if cond:
        print(f"ok   {what}")
    else:
        print(f"FAIL {what}")
        failures.append(what)


def alert(sid, **extra):
    e = {"event_type": "alert", "pcap_cnt": 1, "src_ip": "10.0.0.1", "dest_ip": "10.0.0.2",
         "src_port": 1, "dest_port": 2, "proto": "TCP", "flow_id": 7,
         "alert": {"signature_id": sid, "action": "allowed"}}
    e.update(extra)
    return e


def expected(alerts=None, absent=(), total=None, level="L1-packet", args=(), checks=(), sections=(), yaml=()):
    return {"alerts": alerts or {}, "absent": list(absent), "total_alerts": total, "pcaps": ["input.pcap"],
            "mode": "ids", "suricata_args": list(args), "suricata_yaml": list(yaml),
            "yaml_detection_sections": list(sections), "level": level, "level_keywords": [],
            "alert_checks": list(checks), "source_test": "selftest"}


FLOW = {"event_type": "flow", "flow_id": 7}
STATS = {"event_type": "stats"}

# name -> (expected.json, fake behaviour, verdict the runner must give)
CASES = {
    "exact-pass": (expected({"1": 2, "3": 1}), {"eve": [alert(1), FLOW, alert(1), alert(3), STATS]}, "pass"),
    "exact-too-many": (expected({"1": 2}), {"eve": [alert(1), alert(1), alert(1)]}, "fail"),
    "exact-too-few": (expected({"1": 2}, level="L2-flow"), {"eve": [alert(1)]}, "fail"),
    "exact-zero-ok": (expected({"1": 0}), {"eve": [alert(2)]}, "pass"),
    "null-pass": (expected({"5": None}, level="L2-flow"), {"eve": [alert(5)] * 4}, "pass"),
    "null-fail": (expected({"5": None}, level="L3-pcre-byte"), {"eve": [alert(6), FLOW]}, "fail"),
    "absent-pass": (expected({"1": 1}, absent=["2"]), {"eve": [alert(1)]}, "pass"),
    "absent-fail": (expected({"1": 1}, absent=["2"], level="L4-stateful"), {"eve": [alert(1), alert(2)]}, "fail"),
    "total-pass": (expected({"1": None}, total=3), {"eve": [alert(1), alert(1), alert(9), FLOW]}, "pass"),
    "total-fail": (expected({"1": None}, total=3), {"eve": [alert(1)] * 4}, "fail"),
    "total-zero-fail": (expected({}, absent=["1"], total=0), {"eve": [alert(4)]}, "fail"),
    "sid-as-string": (expected({"1": 1}), {"eve": [alert("1")]}, "pass"),
    "exit1-ran": (expected({"1": 1}), {"eve": [alert(1)], "exit": 1, "stderr": "capture truncated\n"}, "pass"),
    "exit1-no-eve": (expected({}, absent=["1"]), {"no_eve": True, "exit": 1}, "pass"),
    "exit0-no-eve": (expected({}, absent=["1"]), {"no_eve": True}, "fail"),
    "exit2": (expected({"1": 1}), {"eve": [alert(1)], "exit": 2}, "fail"),
    "crash": (expected({"1": 1}), {"eve": [alert(1)], "signal": "SIGSEGV"}, "fail"),
    "timeout": (expected({"1": 1}), {"eve": [alert(1)], "sleep": 30}, "fail"),
    "bad-json": (expected({"1": 1}), {"eve": [alert(1)], "raw": "{not json\n"}, "fail"),
    "checks-differ": (expected({"1": 1}, checks=[{"count": 1, "match": {"event_type": "alert",
                                                  "alert.signature_id": 1, "pcap_cnt": 2}}]),
                      {"eve": [alert(1)]}, "pass"),
    "checks-hold": (expected({"1": 1}, checks=[{"count": 1, "match": {"event_type": "alert",
                                                "alert.signature_id": 1, "pcap_cnt": 1}},
                                               {"count": 0, "match": {"alert.signature_id": 2}}]),
                    {"eve": [alert(1)]}, "pass"),
    "app-excepted-fail": (expected({"1": 1}, level="L5-app-layer"), {"eve": []}, "excepted"),
    "app-excepted-pass": (expected({"1": 1}, level="L5-app-layer"), {"eve": [alert(1)]}, "pass"),
    "http-evader__x-001": (expected({"1": 1}, level="L5-app-layer"), {"eve": []}, "excepted"),
    "args-verbatim": (expected({"1": 1}, args=["-k", "none", "--set", "stream.midstream=true", "--simulate-ips"]),
                      {"eve": [alert(1)]}, "pass"),
}
EXCEPTIONS = """# test exceptions
http-evader__*        needs the HTTP parser (issue 4)
app-excepted-*        needs http.uri buffer (HTTP parser, issue 4)
no-such-case          stale line
"""

YAML_MAIN = """%YAML 1.1
---
vars:
  address-groups:
    HOME_NET: "[10.0.0.0/8]"
    EXTERNAL_NET: "!$HOME_NET"
  port-groups:
    HTTP_PORTS: "80"
outputs:
  - eve-log:
      enabled: yes
packet-alert-max: 3
action-order:
  - pass
  - drop
  - reject
  - alert
decoder:
  teredo:
    enabled: false
    ports: $TEREDO_PORTS
  vxlan:
    enabled: yes
detect: !include detect.yaml
include: extra.yaml
app-layer:
  protocols:
    http:
      libhtp:
        server-config:
          - apache:
              address: [192.168.1.0/24, 127.0.0.0/8]
              personality: Apache_2
"""
YAML_DETECT = """%YAML 1.1
---
profile: medium
sgh-mpm-context: auto
"""
YAML_EXTRA = """%YAML 1.1
---
decoder:
  vxlan:
    enabled: no
"""


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def make_case(root, name, exp):
    write(os.path.join(root, name, "expected.json"), json.dumps(exp, indent=1))
    write(os.path.join(root, name, "test.rules"), "alert ip any any -> any any (sid:1;)\n")
    write(os.path.join(root, name, "input.pcap"), "")


def run(args, env):
    p = subprocess.run([sys.executable, RUNNER] + args, capture_output=True, text=True, env=env)
    return p.returncode, p.stdout + p.stderr


def table(out):
    rows = {}
    for line in out.splitlines():
        m = re.match(r"^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\d+)$", line)
        if m:
            rows[m.group(1)] = tuple(int(m.group(i)) for i in (2, 3, 4, 5, 7))
    return rows


def test_yaml(tmp):
    d = os.path.join(tmp, "yaml")
    write(os.path.join(d, "suricata.yaml"), YAML_MAIN)
    write(os.path.join(d, "detect.yaml"), YAML_DETECT)
    write(os.path.join(d, "extra.yaml"), YAML_EXTRA)
    exp = expected(sections=["vars", "packet-alert-max", "action-order", "decoder", "detect", "app-layer"],
                   yaml=["suricata.yaml", "detect.yaml", "extra.yaml"])
    sets = run_corpus.yaml_set_options(d, exp)
    pairs = [sets[i + 1] for i in range(0, len(sets), 2)]
    check(all(sets[i] == "--set" for i in range(0, len(sets), 2)), "yaml: every option is --set KEY=VALUE")
    want = [
        "vars.address-groups.HOME_NET=[10.0.0.0/8]",
        "vars.address-groups.EXTERNAL_NET=!$HOME_NET",
        "vars.port-groups.HTTP_PORTS=80",
        "packet-alert-max=3",
        "action-order=pass,drop,reject,alert",
        "decoder.teredo.enabled=false",
        "decoder.teredo.ports=$TEREDO_PORTS",
        "decoder.vxlan.enabled=no",          # include: extra.yaml (after) overrides `yes`
        "detect.profile=medium",             # !include detect.yaml
        "detect.sgh-mpm-context=auto",
        "app-layer.protocols.http.libhtp.server-config.0.apache.address=192.168.1.0/24,127.0.0.0/8",
        "app-layer.protocols.http.libhtp.server-config.0.apache.personality=Apache_2",
    ]
    check(pairs == want, "yaml: %YAML 1.1 file, sections flattened to dotted keys, lists comma-joined, "
                         "scalars verbatim, include: and !include followed")
    if pairs != want:
        print("     got:  " + " ".join(pairs) + "\n     want: " + " ".join(want))
    check("outputs" not in " ".join(pairs), "yaml: sections not listed (outputs) are not passed")
    check(run_corpus.yaml_set_options(d, expected()) == [], "yaml: no detection sections -> no --set")
    try:
        run_corpus.yaml_set_options(d, expected(sections=["nonexistent"], yaml=["suricata.yaml"]))
        check(False, "yaml: a missing section is an error of the case")
    except ValueError:
        check(True, "yaml: a missing section is an error of the case")


def test_real_cases(tmp, env, corpus):
    """Real case folders whose suricata.yaml has action-order and packet-alert-max."""
    names = []
    for name in sorted(os.listdir(corpus)):
        p = os.path.join(corpus, name, "expected.json")
        if os.path.isfile(p):
            with open(p, encoding="utf-8") as f:
                sections = json.load(f).get("yaml_detection_sections") or []
            if "action-order" in sections:
                names.append((name, sections))
    with_max = [n for n, s in names if "packet-alert-max" in s]
    check(bool(with_max), "real: a case with action-order and packet-alert-max exists")
    if not with_max:
        return
    others = [n for n, s in names if s == ["action-order"]]
    picks = [with_max[0]] + sorted({others[0], others[-1]}) if others else [with_max[0]]
    real = os.path.join(tmp, "real")
    os.makedirs(real)
    for name in picks:
        os.symlink(os.path.join(corpus, name), os.path.join(real, name))
        with open(os.path.join(corpus, name, "expected.json"), encoding="utf-8") as f:
            exp = json.load(f)
        # Expected alerts exactly (null -> 1), so that each real case passes.
        eve = []
        for sid, n in exp["alerts"].items():
            eve += [alert(int(sid))] * (1 if n is None else n)
        write(os.path.join(env["FAKE_DIR"], name + ".json"), json.dumps({"eve": eve}))
    keep = os.path.join(tmp, "real-out")
    rc, out = run(["--vigild", env["FAKE_VIGILD"], "--corpus", real, "--exceptions", os.devnull,
                   "--keep", keep, "-j", "2"], env)
    check(rc == 0, f"real: {', '.join(picks)} pass with their expected alerts (exit {rc})")
    if rc != 0:
        print(out)
    for name in picks:
        with open(os.path.join(corpus, name, "expected.json"), encoding="utf-8") as f:
            exp = json.load(f)
        with open(os.path.join(keep, name, "argv.json"), encoding="utf-8") as f:
            argv = json.load(f)
        conf = run_corpus.load_suricata_yaml(os.path.join(corpus, name, "suricata.yaml"))
        sets = []
        for section in exp["yaml_detection_sections"]:
            value = conf[section]
            sets += ["--set", f"{section}={','.join(value) if isinstance(value, list) else value}"]
        want = (["replay", "--pcap", os.path.join(real, name, "input.pcap"),
                 "--rules", os.path.join(real, name, "test.rules"), "--out", os.path.join(keep, name)]
                + sets + exp["suricata_args"])
        check(argv == want, f"real: {name}: " + " ".join(argv[7:]))
        if argv != want:
            print("     want: " + " ".join(want[7:]))
    if with_max[0] == "bug-8021-alert-max-verdict-01":
        with open(os.path.join(keep, with_max[0], "argv.json"), encoding="utf-8") as f:
            argv = json.load(f)
        check(argv[7:] == ["--set", "action-order=alert,pass,drop,reject", "--set", "packet-alert-max=6",
                           "-k", "none"], "real: bug-8021-alert-max-verdict-01 gets action-order and packet-alert-max")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=run_corpus.DEFAULT_CORPUS,
                    help="the real corpus, for the real-case part (skipped when absent)")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="vigil-corpus-selftest-")
    try:
        fake = os.path.join(tmp, "vigild")
        write(fake, FAKE_VIGILD)
        os.chmod(fake, os.stat(fake).st_mode | stat.S_IXUSR)
        env = dict(os.environ, FAKE_DIR=os.path.join(tmp, "fake"), FAKE_VIGILD=fake)
        os.makedirs(env["FAKE_DIR"])

        # Unit level: the comparison itself.
        f, c = run_corpus.compare(expected({"1": None, "2": 1}, absent=["3"], total=2), [alert(1), alert(2)])
        check(f == [] and c == [], "compare: null + exact + absent + total hold")
        f, _ = run_corpus.compare(expected({"1": None}), [])
        check(f == ["sid 1: expected at least 1 alert, got 0"], "compare: null needs one alert")
        f, _ = run_corpus.compare(expected({"1": 2}), [alert(1)])
        check(f == ["sid 1: expected 2 alerts, got 1"], "compare: exact count")
        f, _ = run_corpus.compare(expected({}, absent=["3"]), [alert(3)])
        check(f == ["sid 3: expected no alert, got 1"], "compare: absent")
        f, _ = run_corpus.compare(expected({}, total=1), [alert(3), alert(4)])
        check(f == ["total alerts: expected 1, got 2 (3:1, 4:1)"], "compare: total_alerts")
        check(run_corpus.find_value("vlan[0]", {"vlan": [5, 6]}) == 5, "find_value: vlan[0]")
        check(run_corpus.find_value("packet.__len", {"packet": "abcd"}) == 4, "find_value: __len")
        check(run_corpus.find_value("alert.x", {"alert": {}}) is None, "find_value: missing key")

        test_yaml(tmp)

        corpus = os.path.join(tmp, "corpus")
        for name, (exp, spec, _) in CASES.items():
            make_case(corpus, name, exp)
            write(os.path.join(env["FAKE_DIR"], name + ".json"), json.dumps(spec))
        exc = os.path.join(tmp, "exceptions.txt")
        write(exc, EXCEPTIONS)
        base = ["--vigild", fake, "--corpus", corpus, "--exceptions", exc, "--timeout", "3", "-j", "8"]

        rc, out = run(base, env)
        print("---- runner output (not verbose) ----\n" + out + "-------------------------------------")
        check(rc == 1, f"runner: exit 1 when a case not excepted fails (got {rc})")
        shown = set(re.findall(r"^FAIL (\S+)", out, re.M))
        want_fail = {n for n, (_, _, v) in CASES.items() if v == "fail"}
        check(shown == want_fail, "runner: a line for each failing case, and only those")
        if shown != want_fail:
            print(f"     extra: {sorted(shown - want_fail)} missing: {sorted(want_fail - shown)}")
        check("sid 1: expected 2 alerts, got 3" in out, "runner: failure line names sid, expected, got")
        check("killed by SIGSEGV" in out, "runner: a crash is reported as a signal")
        check("vigild exit status 2" in out, "runner: exit status 2 is a failure")
        check("timed out after 3 s" in out, "runner: timeout")
        check("eve.json line 2 is not JSON" in out, "runner: a bad eve.json line is a failure")
        check("exit0-no-eve" in shown and "exit1-no-eve" not in shown, "runner: exit 1 counts as ran, exit 0 needs eve.json")
        check("PASS" not in out and "capture truncated" not in out, "runner: passing cases and stderr only with -v")
        rows = table(out)
        # (cases, passed, failed, excepted, +checks)
        want_rows = {
            "L1-packet": (18, 10, 8, 0, 9),
            "L2-flow": (2, 1, 1, 0, 1),
            "L3-pcre-byte": (1, 0, 1, 0, 0),
            "L4-stateful": (1, 0, 1, 0, 0),
            "L5-app-layer": (2, 1, 0, 1, 1),
            "http-evader": (1, 0, 0, 1, 0),
            "total": (25, 12, 11, 2, 11),
        }
        check(rows == want_rows, "runner: table per level, http-evader its own row, totals")
        if rows != want_rows:
            print(f"     got {rows}")
        check("pass despite an exception (the exception can go): app-excepted-pass" in out,
              "runner: an excepted case that passes is reported")
        check("no-such-case matches no case" in out, "runner: a stale exception line is noted")

        rc, out = run(base + ["-v", "--filter", "exit1-ran", "--filter", "checks-*", "--filter", "app-*"], env)
        check(rc == 0, f"runner: exit 0 when only passing or excepted cases are selected (got {rc})")
        check("capture truncated" in out, "runner -v: stderr of an exit-1 run is shown")
        check("PASS checks-hold" in out and "(alert_checks) alert_checks[0]" in out,
              "runner -v: every case, alert_checks differences")
        check("EXCEPTED (needs http.uri buffer (HTTP parser, issue 4)) app-excepted-fail" in out,
              "runner -v: excepted failure shows its reason")

        rc, out = run(base + ["--filter", "args-verbatim", "--keep", os.path.join(tmp, "keep")], env)
        with open(os.path.join(tmp, "keep", "args-verbatim", "argv.json"), encoding="utf-8") as f:
            argv = json.load(f)
        check(rc == 0 and argv[-5:] == ["-k", "none", "--set", "stream.midstream=true", "--simulate-ips"],
              "runner: suricata_args passed verbatim, --keep keeps the outputs")
        check(os.path.exists(os.path.join(tmp, "keep", "args-verbatim", "eve.json")), "runner: --keep keeps eve.json")

        rc, out = run(["--vigild", fake, "--corpus", os.path.join(tmp, "nowhere")], env)
        check(rc == 77 and "SKIPPED" in out, "runner: exit 77 when the corpus is missing")
        rc, out = run(base + ["--filter", "nothing-matches-*"], env)
        check(rc == 1, "runner: exit 1 when the filter selects nothing")

        if os.path.isdir(args.corpus):
            test_real_cases(tmp, env, args.corpus)
        else:
            print(f"skip real-case checks: no corpus at {args.corpus}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(failures)} failure(s)" if failures else "selftest: all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
