#!/usr/bin/env python3
"""Runs the suricata-verify detection corpus through `vigild replay` and compares the alerts.

Each case folder (input.pcap, test.rules, expected.json, maybe suricata.yaml) is replayed with

    vigild replay --pcap CASE/input.pcap --rules CASE/test.rules --out OUTDIR
                  [--set KEY=VALUE from the case's suricata.yaml detection sections]...
                  [the case's suricata_args, verbatim]

and OUTDIR/eve.json is checked against expected.json: `alerts` (sid -> exact count, or null = at
least one), `absent` (sids with no alert) and `total_alerts` (exact number of alert events, when
not null). `alert_checks` (upstream's finer field checks) are evaluated too but only reported.

Exit status: 0 when every case not listed in the exceptions file passes, 1 otherwise, 77 (CTest's
skip) when the corpus folder is missing. See docs/corpus.md.
"""
import argparse
import concurrent.futures
import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CORPUS = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "corpus", "suricata-verify"))
DEFAULT_EXCEPTIONS = os.path.join(HERE, "exceptions.txt")
SKIP = 77
TIMEOUT = 60
ROWS = ("L1-packet", "L2-flow", "L3-pcre-byte", "L4-stateful", "L5-app-layer", "http-evader")


# ---------------------------------------------------------------------------------------------
# suricata.yaml -> --set KEY=VALUE

def _yaml():
    try:
        import yaml  # python3-yaml (Debian), see tools/install-deps
    except ImportError:
        sys.exit("run_corpus: the python3-yaml package is needed (tools/install-deps installs it)")
    return yaml


def load_suricata_yaml(path, _depth=0):
    """Loads a Suricata YAML file the way Suricata reads it: every scalar is kept as its text
    (`yes` stays `yes`, `0644` stays `0644`), `include: FILE` (or a list of files) at any mapping
    level merges the file(s) into that mapping at that point, and a `!include FILE` tag replaces
    the node with the file's content. Relative include paths are taken from the including file's
    folder."""
    yaml = _yaml()
    if _depth > 16:
        raise ValueError(f"{path}: includes nested too deep")
    base = os.path.dirname(os.path.abspath(path))

    class Loader(yaml.BaseLoader):
        pass

    def include_tag(loader, node):
        return load_suricata_yaml(os.path.join(base, loader.construct_scalar(node)), _depth + 1)

    Loader.add_constructor("!include", include_tag)
    with open(path, encoding="utf-8") as f:
        doc = yaml.load(f, Loader=Loader)  # noqa: S506 - BaseLoader subclass, no object tags
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: the top level is not a mapping")

    def expand(node):
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key == "include" and isinstance(value, (str, list)):
                    for name in ([value] if isinstance(value, str) else value):
                        merge(out, load_suricata_yaml(os.path.join(base, name), _depth + 1))
                else:
                    merge(out, {key: expand(value)})
            return out
        if isinstance(node, list):
            return [expand(v) for v in node]
        return node

    return expand(doc)


def merge(into, other):
    """Deep-merges mapping `other` into `into` (later values win, mappings merge key by key)."""
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge(into[key], value)
        else:
            into[key] = value
    return into


def is_scalar(v):
    return v is None or isinstance(v, (str, int, float, bool))


def scalar_text(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def flatten(prefix, node):
    """Yields (dotted key, value) for a YAML node: mappings descend (`a.b.c`), a list of scalars
    becomes one comma-joined value, a list holding mappings or lists descends by index (`a.0.b`,
    as Suricata names sequence items), scalars are kept as their text (null -> empty)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from flatten(f"{prefix}.{key}" if prefix else str(key), value)
    elif isinstance(node, list):
        if all(is_scalar(v) for v in node):
            yield prefix, ",".join(scalar_text(v) for v in node)
        else:
            for i, value in enumerate(node):
                yield from flatten(f"{prefix}.{i}", value)
    else:
        yield prefix, scalar_text(node)


def yaml_set_options(case_dir, expected):
    """The --set options for the case's yaml_detection_sections, in the file's order."""
    sections = expected.get("yaml_detection_sections") or []
    if not sections:
        return []
    files = expected.get("suricata_yaml") or ["suricata.yaml"]
    conf = load_suricata_yaml(os.path.join(case_dir, files[0]))
    args = []
    for section in sections:
        if section not in conf:
            raise ValueError(f"{files[0]} has no section {section!r}")
        for key, value in flatten(section, conf[section]):
            args += ["--set", f"{key}={value}"]
    return args


# ---------------------------------------------------------------------------------------------
# cases

def load_cases(corpus, patterns):
    cases = []
    for name in sorted(os.listdir(corpus)):
        d = os.path.join(corpus, name)
        if not os.path.isfile(os.path.join(d, "expected.json")):
            continue
        if patterns and not any(fnmatch.fnmatchcase(name, p) for p in patterns):
            continue
        cases.append(name)
    return cases


def row_of(name, level):
    return "http-evader" if name.startswith("http-evader__") else level


def read_exceptions(path):
    """[(glob, reason)] from `<case-name or glob>  <reason>` lines; # starts a comment line."""
    entries = []
    if not path or not os.path.exists(path):
        return entries
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 1)
            entries.append((parts[0], parts[1].strip() if len(parts) > 1 else "(no reason given)", n))
    return entries


def exception_for(name, entries, level=None):
    """The reason of the first line whose glob matches the case name, or whose `level:<LEVEL>`
    names the case's level (so cases of a level not yet built, including ones held back from
    this corpus, are covered)."""
    for pattern, reason, _ in entries:
        if pattern.startswith("level:"):
            if level is not None and pattern[len("level:"):] == level:
                return reason
        elif fnmatch.fnmatchcase(name, pattern):
            return reason
    return None


def command_for(vigild, case_dir, expected, out_dir):
    pcaps = expected.get("pcaps") or ["input.pcap"]
    cmd = [vigild, "replay"]
    for p in pcaps:
        cmd += ["--pcap", os.path.join(case_dir, p)]
    cmd += ["--rules", os.path.join(case_dir, "test.rules"), "--out", out_dir]
    # The yaml first, then the command line, which overrides it (as in Suricata).
    cmd += yaml_set_options(case_dir, expected)
    cmd += [str(a) for a in expected.get("suricata_args") or []]
    return cmd


# ---------------------------------------------------------------------------------------------
# comparison

def find_value(name, obj):
    """A field of an EVE event by suricata-verify's dotted name (`alert.signature_id`,
    `vlan[0]`, `packet.__len`); None when absent."""
    for part in name.split("."):
        if part == "__len":
            try:
                return len(obj)
            except TypeError:
                return -1
        m = re.match(r"^(.*)\[(\d+)\]$", part)
        key, index = (m.group(1), int(m.group(2))) if m else (part, None)
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
        if index is not None:
            try:
                obj = obj[index]
            except (IndexError, KeyError, TypeError):
                return None
    return obj


def check_match(match, event):
    for key, want in match.items():
        if key == "has-key":
            if find_value(want, event) is None:
                return False
        elif key == "not-has-key":
            if find_value(want, event) is not None:
                return False
        elif find_value(key, event) != want:
            return False
    return True


def compare(expected, events):
    """(failures, check_failures): the lines saying what differs (empty = pass)."""
    alerts = [e for e in events if e.get("event_type") == "alert"]
    counts = {}
    for e in alerts:
        sid = str(find_value("alert.signature_id", e))
        counts[sid] = counts.get(sid, 0) + 1
    failures = []
    for sid, want in (expected.get("alerts") or {}).items():
        got = counts.get(str(sid), 0)
        if want is None:
            if got < 1:
                failures.append(f"sid {sid}: expected at least 1 alert, got 0")
        elif got != want:
            failures.append(f"sid {sid}: expected {want} alert{'s' if want != 1 else ''}, got {got}")
    for sid in expected.get("absent") or []:
        got = counts.get(str(sid), 0)
        if got:
            failures.append(f"sid {sid}: expected no alert, got {got}")
    total = expected.get("total_alerts")
    if total is not None and len(alerts) != total:
        by_sid = ", ".join(f"{s}:{n}" for s, n in sorted(counts.items(), key=lambda kv: sort_key(kv[0])))
        failures.append(f"total alerts: expected {total}, got {len(alerts)}" + (f" ({by_sid})" if by_sid else ""))
    check_failures = []
    for i, chk in enumerate(expected.get("alert_checks") or []):
        if not isinstance(chk, dict) or "match" not in chk:
            continue
        got = sum(1 for e in events if check_match(chk["match"], e))
        want = chk.get("count")
        if want is not None and got != want:
            check_failures.append(f"alert_checks[{i}] {json.dumps(chk['match'], sort_keys=True)}: "
                                  f"expected {want} event{'s' if want != 1 else ''}, got {got}")
    return failures, check_failures


def sort_key(sid):
    return (0, int(sid), "") if str(sid).isdigit() else (1, 0, str(sid))


def read_eve(path):
    events, bad = [], []
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                bad.append(f"eve.json line {n} is not JSON ({e.msg})")
                continue
            if isinstance(obj, dict):
                events.append(obj)
            else:
                bad.append(f"eve.json line {n} is not a JSON object")
    return events, bad


def describe_status(code):
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def run_case(task):
    """Runs one case (in a pool worker). Returns a plain dict."""
    name, corpus, vigild, out_root, timeout = task
    case_dir = os.path.join(corpus, name)
    out_dir = os.path.join(out_root, name)
    res = {"name": name, "errors": [], "failures": [], "check_failures": [], "stderr": "",
           "returncode": None, "cmd": None, "level": "?"}
    try:
        with open(os.path.join(case_dir, "expected.json"), encoding="utf-8") as f:
            expected = json.load(f)
        res["level"] = expected.get("level", "?")
        shutil.rmtree(out_dir, ignore_errors=True)
        os.makedirs(out_dir)
        cmd = command_for(vigild, case_dir, expected, out_dir)
    except Exception as e:  # a broken case folder is a failure of that case, not of the run
        res["errors"].append(f"cannot prepare the case: {e}")
        return res
    res["cmd"] = cmd
    try:
        run = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        res["errors"].append(f"timed out after {timeout:g} s")
        res["stderr"] = (e.stderr or b"").decode("utf-8", "replace")
        return res
    except OSError as e:
        res["errors"].append(f"cannot run {vigild}: {e}")
        return res
    res["returncode"] = run.returncode
    res["stderr"] = run.stderr.decode("utf-8", "replace")
    with open(os.path.join(out_dir, "command.txt"), "w", encoding="utf-8") as f:
        f.write(" ".join(shlex_quote(a) for a in cmd) + "\n")
    with open(os.path.join(out_dir, "stderr.txt"), "w", encoding="utf-8") as f:
        f.write(res["stderr"])
    # 0 = ran; 1 = ran over a damaged capture (what was read is in eve.json); anything else or a
    # signal is a failure.
    if run.returncode not in (0, 1):
        res["errors"].append(f"vigild {describe_status(run.returncode)}")
        return res
    eve = os.path.join(out_dir, "eve.json")
    events = []
    if os.path.exists(eve):
        events, bad = read_eve(eve)
        res["errors"] += bad
    elif run.returncode == 0:
        res["errors"].append("vigild exited 0 but wrote no eve.json")
    res["failures"], res["check_failures"] = compare(expected, events)
    res["alert_events"] = sum(1 for e in events if e.get("event_type") == "alert")
    return res


def shlex_quote(s):
    return shlex.quote(s)


# ---------------------------------------------------------------------------------------------
# helper mode: what the rules of the selected cases need (for reviewing exceptions.txt)

def print_rules(corpus, cases):
    for name in cases:
        d = os.path.join(corpus, name)
        with open(os.path.join(d, "expected.json"), encoding="utf-8") as f:
            e = json.load(f)
        print(f"== {name}  [{e.get('level')}]  keywords: {', '.join(e.get('level_keywords') or [])}")
        if e.get("suricata_args"):
            print(f"   args: {' '.join(e['suricata_args'])}")
        with open(os.path.join(d, "test.rules"), encoding="utf-8", errors="replace") as f:
            text = f.read().replace("\\\n", " ")
        for line in text.splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                print("   " + re.sub(r"\s+", " ", line.strip()))


# ---------------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vigild", help="the vigild binary (required unless --print-rules/--print-commands)")
    ap.add_argument("--corpus", default=DEFAULT_CORPUS, help="the corpus folder (default: %(default)s)")
    ap.add_argument("--exceptions", default=DEFAULT_EXCEPTIONS, help="default: %(default)s")
    ap.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1, help="parallel cases (default: nproc)")
    ap.add_argument("--filter", action="append", metavar="GLOB", help="only cases whose name matches (repeatable)")
    ap.add_argument("--keep", metavar="DIR", help="keep each case's output in DIR/<case>/")
    ap.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds per case (default: %(default)s)")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="a line per case, vigild's stderr, alert_checks differences")
    ap.add_argument("--print-rules", action="store_true",
                    help="print each selected case's level, keywords and rules, then exit")
    ap.add_argument("--print-commands", action="store_true",
                    help="print the vigild command line of each selected case, then exit")
    args = ap.parse_args(argv)

    corpus = os.path.abspath(args.corpus)
    if not os.path.isdir(corpus):
        print(f"SKIPPED: no corpus folder {corpus} (../shared beside the source tree)")
        return SKIP
    cases = load_cases(corpus, args.filter)
    if not cases:
        print(f"run_corpus: no case under {corpus}" + (f" matches {' '.join(args.filter)}" if args.filter else ""))
        return 1
    if args.print_rules:
        print_rules(corpus, cases)
        return 0
    if args.print_commands:
        vigild = args.vigild or "vigild"
        out = args.keep or "OUT"
        for name in cases:
            with open(os.path.join(corpus, name, "expected.json"), encoding="utf-8") as f:
                e = json.load(f)
            try:
                cmd = command_for(vigild, os.path.join(corpus, name), e, os.path.join(out, name))
                print(" ".join(shlex_quote(a) for a in cmd))
            except Exception as ex:
                print(f"{name}: cannot build the command: {ex}")
        return 0
    if not args.vigild:
        ap.error("--vigild is required")
    vigild = os.path.abspath(args.vigild)
    if not os.access(vigild, os.X_OK):
        print(f"run_corpus: {vigild} is not an executable")
        return 1

    exceptions = read_exceptions(args.exceptions)
    out_root = os.path.abspath(args.keep) if args.keep else tempfile.mkdtemp(prefix="vigil-corpus-")
    os.makedirs(out_root, exist_ok=True)
    tasks = [(name, corpus, vigild, out_root, args.timeout) for name in cases]
    results = []
    try:
        with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            results = list(pool.map(run_case, tasks))
    finally:
        if not args.keep:
            shutil.rmtree(out_root, ignore_errors=True)

    stats = {row: {"cases": 0, "passed": 0, "failed": 0, "excepted": 0, "strict": 0} for row in ROWS}
    despite = []
    for res in results:
        name = res["name"]
        row = row_of(name, res["level"])
        st = stats.setdefault(row, {"cases": 0, "passed": 0, "failed": 0, "excepted": 0, "strict": 0})
        st["cases"] += 1
        problems = res["errors"] + res["failures"]
        reason = exception_for(name, exceptions, res["level"])
        if not problems:
            st["passed"] += 1
            if not res["check_failures"]:
                st["strict"] += 1
            if reason and exception_for(name, exceptions) is not None:
                # Listed by name: the line can go. (A level-wide line stays until the level is built.)
                despite.append(name)
            verdict = "PASS" + (" (passes despite exception)" if reason else "")
        elif reason:
            st["excepted"] += 1
            verdict = f"EXCEPTED ({reason})"
        else:
            st["failed"] += 1
            verdict = "FAIL"
        show = args.verbose or (problems and not reason)
        if show:
            print(f"{verdict:4} {name} [{res['level']}]")
            for p in problems:
                print(f"     {p}")
            if args.verbose:
                for p in res["check_failures"]:
                    print(f"     (alert_checks) {p}")
                if res["stderr"].strip():
                    status = res["returncode"]
                    print(f"     vigild {describe_status(status)}; stderr:" if status in (0, 1) else "     stderr:")
                    for line in res["stderr"].splitlines():
                        if line.strip():
                            print(f"       {line}")
            if res["cmd"] and (problems or args.verbose):
                print("     $ " + " ".join(shlex_quote(a) for a in res["cmd"]))

    print()
    print(f"{'level':<14}{'cases':>7}{'passed':>8}{'failed':>8}{'excepted':>10}{'pass rate':>11}{'+checks':>9}")
    tot = {"cases": 0, "passed": 0, "failed": 0, "excepted": 0, "strict": 0}
    for row, st in stats.items():
        for k in tot:
            tot[k] += st[k]
        print(format_row(row, st))
    print(format_row("total", tot))
    print("(+checks: passing cases whose upstream alert_checks also all hold; informational)")
    if despite:
        names = ", ".join(despite if args.verbose or len(despite) <= 10 else despite[:10] + [f"... {len(despite) - 10} more (-v lists them)"])
        print(f"{len(despite)} case(s) pass despite an exception (the exception can go): {names}")
    if not args.filter:
        names = set(cases)
        for pattern, _, n in exceptions:
            if pattern.startswith("level:"):
                continue
            if not any(fnmatch.fnmatchcase(c, pattern) for c in names):
                print(f"note: exceptions line {n}: {pattern} matches no case")
    if args.keep:
        print(f"outputs kept in {out_root}")
    if tot["failed"]:
        print(f"FAILED: {tot['failed']} case(s) not in the exceptions failed")
        return 1
    print("OK: every case not in the exceptions passed")
    return 0


def format_row(name, st):
    rate = f"{100.0 * st['passed'] / st['cases']:.1f}%" if st["cases"] else "-"
    return (f"{name:<14}{st['cases']:>7}{st['passed']:>8}{st['failed']:>8}{st['excepted']:>10}"
            f"{rate:>11}{st['strict']:>9}")


if __name__ == "__main__":
    sys.exit(main())
