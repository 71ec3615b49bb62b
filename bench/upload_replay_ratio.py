#!/usr/bin/env python3
"""Does uploading slow inspection? Replays one capture through `vigild replay` alternately without
and with `--upload` (a local vigil-provider on loopback, a fresh spool each time), the dataplane on
one CPU and the control-plane threads (spooler, uploader, pcap writer) and the provider on another,
as on the appliance; prints the median packet rate of each and their ratio (target: >= 0.95).
Also prints the rate with --flow-pcaps (the flagged-flow capture alone, written to files)."""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

RATE = re.compile(r"^replayed .* \(([0-9.]+) kpackets/s")


def rate(cmd):
    run = subprocess.run(cmd, capture_output=True, text=True)
    for line in run.stdout.splitlines():
        m = RATE.match(line)
        if m:
            return float(m.group(1)) * 1000, run
    raise RuntimeError(f"no rate in the output of {' '.join(cmd)} (exit {run.returncode}): {run.stderr[-500:]}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vigild", required=True)
    ap.add_argument("--provider", required=True, help="vigil-provider")
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--rules", required=True, nargs="+")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--worker-cpu", type=int, default=0)
    ap.add_argument("--control-cpu", type=int, default=1)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="vigil-upload-ratio-")
    provider = None
    try:
        pki = os.path.join(work, "pki")
        subprocess.run([args.provider, "pki", "init", "--dir", pki], check=True, capture_output=True)
        subprocess.run([args.provider, "pki", "device", "--dir", pki, "--id", "bench-1"], check=True,
                       capture_output=True)
        provider = subprocess.Popen(["taskset", "-c", str(args.control_cpu), args.provider, "serve",
                                     "--data", os.path.join(work, "data"), "--pki", pki, "--port", "0"],
                                    stdout=subprocess.PIPE, text=True)
        port = int(re.search(r":(\d+),", provider.stdout.readline()).group(1))
        cfg = os.path.join(work, "uplink.toml")
        with open(cfg, "w") as f:
            f.write(f'[provider]\nhost = "127.0.0.1"\nport = {port}\nserver_name = "provider.vigil.test"\n'
                    f'ca = "pki/ca.crt"\ncert = "pki/devices/bench-1.crt"\nkey = "pki/devices/bench-1.key"\n'
                    f'[spool]\ndir = "spool"\n')
        base = [args.vigild, "replay", "--pcap", args.pcap, "--worker-cpu", str(args.worker_cpu),
                "--control-cpu", str(args.control_cpu)]
        for r in args.rules:
            base += ["--rules", r]
        plain, pcaps, upload = [], [], []
        for i in range(args.runs):
            plain.append(rate(base + ["--out", os.path.join(work, "plain")])[0])
            pcaps.append(rate(base + ["--out", os.path.join(work, "pcaps"), "--flow-pcaps"])[0])
            for d in ("spool", "spool.capture"):
                shutil.rmtree(os.path.join(work, d), ignore_errors=True)
            r, run = rate(base + ["--out", os.path.join(work, "up"), "--upload", cfg])
            if run.returncode != 0:
                raise RuntimeError(f"upload run failed ({run.returncode}): {run.stderr[-500:]}")
            upload.append(r)
        mp, mc, mu = statistics.median(plain), statistics.median(pcaps), statistics.median(upload)
        print(f"{args.runs} runs each, dataplane on CPU {args.worker_cpu}, control plane and provider on CPU {args.control_cpu}")
        print(f"without upload:      median {mp / 1000:.1f} kpackets/s (runs: {', '.join(f'{x / 1000:.0f}' for x in plain)})")
        print(f"with --flow-pcaps:   median {mc / 1000:.1f} kpackets/s (runs: {', '.join(f'{x / 1000:.0f}' for x in pcaps)})")
        print(f"with --upload:       median {mu / 1000:.1f} kpackets/s (runs: {', '.join(f'{x / 1000:.0f}' for x in upload)})")
        print(f"ratio of the medians, upload / without: {mu / mp:.3f}; upload / flow-pcaps: {mu / mc:.3f}")
        # Each round runs the three back to back: the ratio within a round cancels the host's
        # slow and fast spells, which on a shared VM are larger than the effect measured.
        pair = sorted(u / p for u, p in zip(upload, plain))
        pair_c = sorted(u / c for u, c in zip(upload, pcaps))
        print(f"per-round ratio upload / without: median {statistics.median(pair):.3f} "
              f"(range {pair[0]:.3f}..{pair[-1]:.3f}); upload / flow-pcaps: median "
              f"{statistics.median(pair_c):.3f}")
        return 0
    finally:
        if provider:
            provider.terminate()
            provider.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
