#!/usr/bin/env python3
"""Replays one capture through both packet paths (--io pcap: libpcap; --io dpdk: DPDK's net_pcap
port) and requires identical flow records: every field of every flow event, in any order."""
import argparse
import json
import os
import shutil
import subprocess
import sys


def flow_events(vigild, pcap, io, workdir):
    out = os.path.join(workdir, io)
    shutil.rmtree(out, ignore_errors=True)
    run = subprocess.run([vigild, "replay", "--pcap", pcap, "--out", out, "--io", io],
                         capture_output=True, text=True, errors="replace")
    if run.returncode != 0:
        raise RuntimeError(f"vigild replay --io {io} failed ({run.returncode}): {run.stderr.strip()}")
    events = []
    with open(os.path.join(out, "eve.json"), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                ev = json.loads(line)
                if ev.get("event_type") == "flow":
                    events.append(json.dumps(ev, sort_keys=True))
    return sorted(events)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vigild", required=True)
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    try:
        via_pcap = flow_events(args.vigild, args.pcap, "pcap", args.workdir)
        via_dpdk = flow_events(args.vigild, args.pcap, "dpdk", args.workdir)
    except (RuntimeError, OSError, json.JSONDecodeError) as e:
        print(f"error: {e}")
        return 2
    only_pcap = sorted(set(via_pcap) - set(via_dpdk))
    only_dpdk = sorted(set(via_dpdk) - set(via_pcap))
    same = len(via_pcap) == len(via_dpdk) and not only_pcap and not only_dpdk
    print(f"{os.path.basename(args.pcap)}: {len(via_pcap)} flow events via pcap, {len(via_dpdk)} via dpdk, "
          + ("identical" if same else "DIFFERENT"))
    for ev in only_pcap[:10]:
        print("  only --io pcap: " + ev)
    for ev in only_dpdk[:10]:
        print("  only --io dpdk: " + ev)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
