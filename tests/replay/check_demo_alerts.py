#!/usr/bin/env python3
"""The sim board's demo job with detection: the demo capture and board/sim/demo.rules through
both packet paths (--io pcap and --io dpdk) give exactly the expected alerts (one per rule that
describes something in the capture, none from the flowbit-setting noalert rule), identical on
both paths, and the alerting flows' EVE flow events say "alerted": true."""
import argparse
import json
import os
import shutil
import subprocess
import sys

EXPECTED = {9000001: 1, 9000002: 1, 9000003: 1, 9000005: 1, 9000006: 1, 9000007: 1,
            9000008: 1, 9000009: 1, 9000010: 1, 9000011: 1}


def events(vigild, pcap, rules, io, workdir):
    out = os.path.join(workdir, io)
    shutil.rmtree(out, ignore_errors=True)
    run = subprocess.run([vigild, "replay", "--pcap", pcap, "--rules", rules, "--out", out,
                          "--io", io], capture_output=True, text=True, errors="replace")
    if run.returncode != 0:
        raise RuntimeError(f"vigild replay --io {io} failed ({run.returncode}): {run.stderr.strip()}")
    if "rule skipped" in run.stderr:
        raise RuntimeError(f"a demo rule was skipped: {run.stderr.strip()}")
    with open(os.path.join(out, "eve.json"), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vigild", required=True)
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--rules", required=True)
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    problems = []
    try:
        by_io = {io: events(args.vigild, args.pcap, args.rules, io, args.workdir)
                 for io in ("pcap", "dpdk")}
    except (RuntimeError, OSError, json.JSONDecodeError) as e:
        print(f"error: {e}")
        return 2
    alerts = {io: [e for e in evs if e.get("event_type") == "alert"] for io, evs in by_io.items()}
    counts = {}
    for a in alerts["pcap"]:
        sid = a["alert"]["signature_id"]
        counts[sid] = counts.get(sid, 0) + 1
    if counts != EXPECTED:
        problems.append(f"alerts per sid: expected {EXPECTED}, got {counts}")
    canon = {io: sorted(json.dumps(a, sort_keys=True) for a in al) for io, al in alerts.items()}
    if canon["pcap"] != canon["dpdk"]:
        problems.append("the alert events differ between --io pcap and --io dpdk")
    flows = {e["flow_id"]: e for e in by_io["pcap"] if e.get("event_type") == "flow"}
    for a in alerts["pcap"]:
        f = flows.get(a.get("flow_id"))
        if f is None:
            problems.append(f"sid {a['alert']['signature_id']}: no flow event for flow_id {a.get('flow_id')}")
        elif not f["flow"].get("alerted"):
            problems.append(f"flow {a['flow_id']} alerted (sid {a['alert']['signature_id']}) but its flow event says alerted false")
        if a["alert"]["category"] == "" or a["alert"]["signature"] == "":
            problems.append(f"sid {a['alert']['signature_id']}: empty signature or category")
    for p in problems:
        print("FAIL:", p)
    if not problems:
        print(f"ok: {len(alerts['pcap'])} alerts as expected, identical on both packet paths")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
