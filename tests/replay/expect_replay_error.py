#!/usr/bin/env python3
"""Checks that `vigild replay` refuses a bad input properly: a non-zero exit status and exactly
one line on stderr, which names the file."""
import argparse
import shutil
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vigild", required=True)
    ap.add_argument("--pcap", required=True, help="the bad input (need not exist)")
    ap.add_argument("--io", choices=("pcap", "dpdk"), default="pcap")
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    run = subprocess.run([args.vigild, "replay", "--pcap", args.pcap, "--out", args.workdir, "--io", args.io],
                         capture_output=True, text=True, errors="replace")
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    problems = []
    if run.returncode == 0:
        problems.append("exit status 0")
    if len(lines) != 1:
        problems.append(f"{len(lines)} lines on stderr, expected 1")
    elif args.pcap not in lines[0]:
        problems.append("the error line does not name the file")
    print(f"exit status {run.returncode}; stderr:")
    for line in lines:
        print("  " + line)
    for p in problems:
        print("FAIL " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
