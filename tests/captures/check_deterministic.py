#!/usr/bin/env python3
"""Regenerates every scenario into a scratch directory and requires the same bytes as the
captures written at build time: generation must not depend on time, environment or run."""
import argparse
import filecmp
import os
import shutil
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generator", required=True)
    ap.add_argument("--captures", required=True, help="the build-time captures")
    ap.add_argument("--scratch", required=True)
    args = ap.parse_args()
    shutil.rmtree(args.scratch, ignore_errors=True)
    run = subprocess.run([args.generator, "--out", args.scratch, "--scenario", "all"],
                         capture_output=True, text=True)
    if run.returncode != 0:
        print(f"generator failed: {run.stderr.strip()}")
        return 1
    written = [line for line in run.stdout.splitlines() if line]
    differ = []
    for path in written:
        name = os.path.basename(path)
        if not filecmp.cmp(path, os.path.join(args.captures, name), shallow=False):
            differ.append(name)
    print(f"{len(written)} files regenerated, {len(written) - len(differ)} identical")
    for name in differ:
        print(f"DIFFERS {name}")
    if not differ:
        shutil.rmtree(args.scratch, ignore_errors=True)
    return 1 if differ or not written else 0


if __name__ == "__main__":
    sys.exit(main())
