#!/usr/bin/env python3
"""e2e.uplink.delivery: `vigild replay --upload` of the demo capture to a reference provider.
Exit 0; the provider's alert lines equal eve.json's alerts (multiset of parsed JSON objects); every
non-stats line of eve.json is stored exactly once; one pcap per flagged flow, byte-identical to a
`--flow-pcaps` run of the same input, each opened by tshark; a heartbeat stored. A second identical
run adds nothing (the provider drops the repeated batches by Idempotency-Key)."""
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import uplink_lib as u  # noqa: E402


def main():
    ap = u.common_args(__doc__.splitlines()[0])
    ap.add_argument("--pcap", default="demo.pcap")
    args = ap.parse_args()

    def body(work):
        tshark = shutil.which("tshark")
        if not tshark:
            raise u.Skip("tshark is not installed")
        pcap = u.capture(args, args.pcap)
        pki = u.Pki(args.provider, os.path.join(work, "pki"))
        cert, key = pki.device("dev-1")
        ref_eve, ref_pcaps = u.reference_flow_pcaps(args, pcap, work)
        u.check(ref_pcaps, f"the reference --flow-pcaps run of {pcap} wrote no flow pcap: "
                "the test needs flagged flows")
        prov = u.Provider(args.provider, os.path.join(work, "data"), pki.dir)
        config = u.write_config(os.path.join(work, "upload.toml"), prov.port, pki.ca, cert, key,
                                spool=os.path.join(work, "spool"))
        out = os.path.join(work, "out")
        res = u.run(u.replay_cmd(args, pcap, out, config, upload_timeout=60), 120)
        u.expect_exit(res, 0, "replay --upload")
        eve = os.path.join(out, "eve.json")
        ref, _ = u.check_events_exactly_once(eve, prov, "dev-1", "first run")
        u.check(any(o.get("event_type") == "alert" for o in ref), f"{eve} has no alert")
        # The upload run's eve.json is the reference run's (same input and rules).
        u.compare_multisets(u.multiset(u.uploadable(u.parse_lines(u.eve_lines(ref_eve), ref_eve))),
                            u.multiset(ref), "eve.json of the --flow-pcaps run vs the --upload run")

        stored = prov.flow_pcaps("dev-1")
        u.compare_pcaps(ref_pcaps, stored, "flow pcaps (reference: --flow-pcaps run)")
        missing = sorted(f for f in u.alert_flow_ids(ref) if f + ".pcap" not in stored)
        u.check(not missing, f"alerting flows without a pcap at the provider: {missing}")
        for name in sorted(stored):
            path = os.path.join(prov.appliance_dir("dev-1"), "flows", name)
            r = u.run([tshark, "-n", "-r", path], 60)
            u.check(r.returncode == 0 and r.stdout.strip(),
                    f"tshark -r {path} failed (exit {r.returncode}, {len(r.stdout.splitlines())} "
                    f"packets listed): {r.stderr.strip()}")

        beats = prov.heartbeats("dev-1")
        u.check(beats, f"no heartbeat stored at the provider "
                f"({os.path.join(prov.appliance_dir('dev-1'), 'heartbeats.jsonl')})")
        hb = beats[-1]
        u.check(isinstance(hb.get("spool"), dict) and isinstance(hb.get("drops"), dict),
                f"heartbeat lacks spool/drops objects: {u.brief(u.canon(hb), 400)}")
        u.check(hb["drops"].get("total") == 0, f"heartbeat reports drops: {hb['drops']}")

        # Second identical run: the provider keeps what it has.
        before = prov.event_lines("dev-1")
        before_pcaps = prov.flow_pcaps("dev-1")
        res2 = u.run(u.replay_cmd(args, pcap, os.path.join(work, "out2"), config, upload_timeout=60),
                     120)
        u.expect_exit(res2, 0, "second identical replay --upload")
        after = prov.event_lines("dev-1")
        if after != before:
            added = sorted(set(after) - set(before))
            raise u.Failure(f"the second identical run changed the provider's event lines: "
                            f"{len(before)} before, {len(after)} after; new files: "
                            f"{sorted({f for f, _ in added})[:10]}\n"
                            f"upload line: {u.line_of(res2.stdout, 'upload (')}")
        u.compare_pcaps(before_pcaps, prov.flow_pcaps("dev-1"), "flow pcaps after the second run")
        u.check(prov.alive(), f"provider exited: {prov.stderr_text()}")
        prov.stop()
        print(f"delivery: {len(ref)} events, {len(stored)} flow pcaps, {len(beats)} heartbeats; "
              f"second run: {u.line_of(res2.stdout, 'upload (')}")

    sys.exit(u.run_test("delivery", body, args))


if __name__ == "__main__":
    main()
