#!/usr/bin/env python3
"""e2e.uplink.kill9: `vigild replay --upload` of a capture with many events (mixed.pcap, small
batches so the upload phase lasts seconds) is SIGKILLed at N random instants spread over a run's
measured duration, restarted each time with the same command (same spool, same out folder), then
run to completion (exit 0). The provider must end with every non-stats line of a clean run's
eve.json exactly once (alerts checked first) and every flagged flow's pcap, byte-identical to a
`--flow-pcaps` run. Reports how many kills hit the replay phase (eve.json not yet complete when killed) and how
many the upload phase (eve.json complete: the run was sending)."""
import os
import random
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import uplink_lib as u  # noqa: E402


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    except FileNotFoundError:
        return 0


def main():
    ap = u.common_args(__doc__.splitlines()[0])
    ap.add_argument("--pcap", default="mixed.pcap")
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--batch-events", type=int, default=20)
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock)")
    ap.add_argument("--budget", type=float, default=100.0,
                    help="seconds for the kill loop; the delays shrink to fit it")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else int(time.time() * 1000) % 1_000_000
    rng = random.Random(seed)

    def body(work):
        print(f"kill9: seed {seed} (rerun with --seed {seed})")
        pcap = u.capture(args, args.pcap)
        pki = u.Pki(args.provider, os.path.join(work, "pki"))
        cert, key = pki.device("dev-1")
        ref_eve, ref_pcaps = u.reference_flow_pcaps(args, pcap, work)

        # One timed clean run into a scratch provider: the run's duration and its phases.
        scratch = u.Provider(args.provider, os.path.join(work, "scratch-data"), pki.dir)
        cfg = u.write_config(os.path.join(work, "scratch.toml"), scratch.port, pki.ca, cert, key,
                             spool=os.path.join(work, "scratch-spool"),
                             batch_events=args.batch_events, max_bytes=268435456)
        t0 = time.monotonic()
        res = u.run(u.replay_cmd(args, pcap, os.path.join(work, "scratch-out"), cfg,
                                 upload_timeout=120), 300)
        total = time.monotonic() - t0
        u.expect_exit(res, 0, "timed clean run")
        u.check_events_exactly_once(os.path.join(work, "scratch-out", "eve.json"), scratch, "dev-1",
                                    "timed clean run")
        m = re.search(r"^upload phase: ([0-9.]+) s", res.stdout, re.M)
        u.check(m, f"no `upload phase: X s` line in the clean run's output:\n{u.describe(res)}")
        upload_s = float(m.group(1))
        replay_s = max(0.0, total - upload_s)
        scratch.stop()
        print(f"kill9: clean run {total:.2f} s (replay phase ~{replay_s:.2f} s, upload phase "
              f"{upload_s:.2f} s); {u.line_of(res.stdout, 'upload (')}")
        # Expected time of the loop: kills * (mean delay) ~ kills * span / 2.
        span = min(total, 2 * args.budget / max(1, args.kills))

        first_span = span
        prov = u.Provider(args.provider, os.path.join(work, "data"), pki.dir)
        config = u.write_config(os.path.join(work, "upload.toml"), prov.port, pki.ca, cert, key,
                                spool=os.path.join(work, "spool"), batch_events=args.batch_events,
                                max_bytes=268435456)
        out = os.path.join(work, "out")
        eve_out = os.path.join(out, "eve.json")
        ref_lines = count_lines(ref_eve)
        cmd = u.replay_cmd(args, pcap, out, config, upload_timeout=120)
        phases = {"replay": 0, "upload": 0, "finished": 0}
        progressed = 0
        log = []
        loop_start = time.monotonic()
        for i in range(args.kills):
            delay = rng.uniform(0, span)
            lines_before = len(prov.event_lines("dev-1"))
            p = u.popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            started = time.monotonic()
            try:
                p.wait(timeout=delay)
                phase = "finished"
                # Runs after everything is at the provider only resend duplicates and are shorter
                # than the timed clean run: keep the next kills inside such a run.
                span = min(span, max(0.5, time.monotonic() - started))
                err = p.stderr.read()
                u.check(p.returncode == 0, f"kill {i + 1}: the run ended by itself before the "
                        f"kill with exit {p.returncode}: {err.strip()}")
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=30)
                # The replay writes eve.json as it goes and completes it when the replay phase
                # ends (SIGKILL loses what was not yet written): a complete file = upload phase.
                phase = "upload" if count_lines(eve_out) >= ref_lines else "replay"
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
                p.stderr.close()
                u.Process.live.remove(p)
            phases[phase] += 1
            grew = len(prov.event_lines("dev-1")) - lines_before
            progressed += grew > 0
            log.append(f"{delay:.2f}s:{phase}:+{grew}")
            u.check(prov.alive(), f"the provider exited after kill {i + 1}: {prov.stderr_text()}")
        loop_s = time.monotonic() - loop_start
        print(f"kill9: {args.kills} kills in {loop_s:.1f} s over delays 0..{first_span:.2f} s "
              f"(last {span:.2f} s): "
              f"{phases['replay']} in the replay phase, {phases['upload']} in the upload phase, "
              f"{phases['finished']} after the run had finished; {progressed} runs added event "
              f"lines at the provider")
        print("kill9: delay:phase:+lines stored  " + " ".join(log))

        res = u.run(cmd, 300)
        u.expect_exit(res, 0, "final run after the kills")
        print(f"kill9: final run: {u.line_of(res.stdout, 'upload (')}\n"
              f"kill9: final run: {u.line_of(res.stdout, 'spool: ')}")
        u.check_events_exactly_once(ref_eve, prov, "dev-1", "after the kills")
        u.compare_pcaps(ref_pcaps, prov.flow_pcaps("dev-1"), "flow pcaps after the kills")
        u.check(prov.heartbeats("dev-1"), "no heartbeat stored")
        prov.stop()

    sys.exit(u.run_test("kill9", body, args))


if __name__ == "__main__":
    main()
