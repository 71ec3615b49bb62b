#!/usr/bin/env python3
"""Replays a capture with a tiny flow table (--max-flows) and with the default one: evictions must
show as flows ended with reason "forced", and no packet or byte may be lost from the flow records
(an evicted flow that comes back is a new flow, so flows may be split, never dropped)."""
import argparse
import json
import os
import shutil
import subprocess
import sys


def replay(vigild, pcap, workdir, name, extra):
    out = os.path.join(workdir, name)
    shutil.rmtree(out, ignore_errors=True)
    run = subprocess.run([vigild, "replay", "--pcap", pcap, "--out", out] + extra,
                         capture_output=True, text=True, errors="replace")
    if run.returncode != 0:
        raise RuntimeError(f"vigild replay {' '.join(extra)} failed ({run.returncode}): "
                           f"{run.stderr.strip()}")
    flows, stats = [], None
    with open(os.path.join(out, "eve.json"), encoding="utf-8") as f:
        for line in f:
            ev = json.loads(line)
            if ev["event_type"] == "flow":
                flows.append(ev)
            elif ev["event_type"] == "stats":
                stats = ev["stats"]
    return flows, stats


def totals(flows):
    keys = ("pkts_toserver", "pkts_toclient", "bytes_toserver", "bytes_toclient")
    return sum(f["flow"][k] for f in flows for k in keys[:2]), \
        sum(f["flow"][k] for f in flows for k in keys[2:])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vigild", required=True)
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--max-flows", type=int, default=4)
    args = ap.parse_args()
    try:
        full, _ = replay(args.vigild, args.pcap, args.workdir, "default", [])
        small, stats = replay(args.vigild, args.pcap, args.workdir, "small",
                              ["--max-flows", str(args.max_flows)])
    except (RuntimeError, OSError, json.JSONDecodeError, KeyError) as e:
        print(f"error: {e}")
        return 2
    forced = sum(1 for f in small if f["flow"]["reason"] == "forced")
    problems = []
    if forced == 0:
        problems.append("no flow ended with reason forced under a table of "
                        f"{args.max_flows} flows")
    if forced != stats["flow"]["end"]["forced"]:
        problems.append(f"{forced} forced flow events but stats flow.end.forced is "
                        f"{stats['flow']['end']['forced']}")
    if totals(small) != totals(full):
        problems.append(f"packets/bytes in flow records differ: {totals(small)} with "
                        f"--max-flows {args.max_flows}, {totals(full)} by default")
    if len(small) < len(full):
        problems.append(f"fewer flows with a smaller table ({len(small)} < {len(full)})")
    for p in problems:
        print(f"FAIL: {p}")
    print(f"{os.path.basename(args.pcap)}: {len(full)} flows by default, {len(small)} with "
          f"--max-flows {args.max_flows} ({forced} evicted), packets/bytes {totals(small)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
