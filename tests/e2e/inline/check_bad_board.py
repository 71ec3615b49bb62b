#!/usr/bin/env python3
"""`vigild run` refuses bad or inconsistent board files with the exact field and reason, before
touching any device (no root needed): each case is a copy of board/sim/board.toml with one fault."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

CASES = [
    ('peer = "wan0"', 'peer = "wan9"', 'port[0].peer: "wan9" is not a port of this board'),
    ('lcores = [1]', 'lcores = [0]', "workers.lcores: lcore 0 is the main lcore"),
    ('size = 1024', 'size = 1000', "rings.size: 1000 is not a power of two"),
    ('role = "monitor"', 'role = "mirror"', "port[2].role"),
    ('mbufs = 8191', 'mbufs = 64', "mempool.mbufs"),
    ('name = "sim"', 'name = "sim"\ncolour = "blue"', "colour"),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vigild", required=True)
    ap.add_argument("--board", required=True, help="board/sim/board.toml")
    args = ap.parse_args()
    with open(args.board) as f:
        good = f.read()
    work = tempfile.mkdtemp(prefix="vigil-bad-board-")
    problems = []
    try:
        cfg = os.path.join(work, "vigil.toml")
        with open(cfg, "w") as f:
            f.write('[output]\ndir = "out"\n[control]\nsocket = "v.sock"\n')
        for old, new, expect in CASES:
            if old not in good:
                problems.append(f"the sim board no longer contains {old!r}: update this test")
                continue
            path = os.path.join(work, "board.toml")
            with open(path, "w") as f:
                f.write(good.replace(old, new, 1))
            run = subprocess.run([args.vigild, "run", "--board", path, "--config", cfg],
                                 capture_output=True, text=True, timeout=30)
            err = run.stderr.strip()
            if run.returncode != 2:
                problems.append(f"{new!r}: exit {run.returncode}, expected 2 ({err})")
            elif expect not in err or "board.toml:" not in err:
                problems.append(f"{new!r}: the error does not name file, line and {expect!r}: {err}")
            else:
                print(f"refused as expected: {err}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for p in problems:
        print(f"FAIL: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
