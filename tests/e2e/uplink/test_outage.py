#!/usr/bin/env python3
"""e2e.uplink.outage: the provider is down (nothing listens on the configured port): `vigild replay
--upload --upload-timeout 3` exits 3 with the records left in the spool (stderr names the count);
then the provider starts on that port and `vigild upload` exits 0: every event exactly once and
every flagged flow's pcap at the provider."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import uplink_lib as u  # noqa: E402


def main():
    ap = u.common_args(__doc__.splitlines()[0])
    ap.add_argument("--pcap", default="demo.pcap")
    args = ap.parse_args()

    def body(work):
        pcap = u.capture(args, args.pcap)
        pki = u.Pki(args.provider, os.path.join(work, "pki"))
        cert, key = pki.device("dev-1")
        ref_eve, ref_pcaps = u.reference_flow_pcaps(args, pcap, work)
        port = u.free_port()
        config = u.write_config(os.path.join(work, "upload.toml"), port, pki.ca, cert, key,
                                spool=os.path.join(work, "spool"), connect_timeout_ms=500)
        out = os.path.join(work, "out")
        t0 = time.monotonic()
        res = u.run(u.replay_cmd(args, pcap, out, config, upload_timeout=3), 60)
        took = time.monotonic() - t0
        u.expect_exit(res, 3, "replay --upload with the provider down")
        ref = u.uploadable(u.parse_lines(u.eve_lines(os.path.join(out, "eve.json")), "eve.json"))
        m = re.search(r"(\d+) records are still in the spool", res.stderr)
        u.check(m, f"stderr does not name the records left in the spool:\n{u.describe(res)}")
        left = int(m.group(1))
        # A spool record holds one flow pcap or a group of EVE lines: at least one per pcap and
        # one for the events.
        u.check(left >= len(ref_pcaps) + 1,
                f"stderr says {left} records left, expected at least {len(ref_pcaps) + 1} "
                f"({len(ref_pcaps)} flow pcaps + the {len(ref)} events)\n{u.describe(res)}")
        spool_line = u.line_of(res.stdout, "spool: ")
        u.check(spool_line and spool_line.startswith(f"spool: {left} records"),
                f"spool line should start `spool: {left} records` as stderr says: {spool_line!r}")
        u.check("Connection refused" in res.stderr or "connect" in res.stderr,
                f"stderr does not name the connection failure:\n{res.stderr}")
        u.check(took < 30, f"replay with --upload-timeout 3 took {took:.1f} s")

        prov = u.Provider(args.provider, os.path.join(work, "data"), pki.dir, port=port)
        res2 = u.run(u.upload_cmd(args, config, timeout=60), 120)
        u.expect_exit(res2, 0, "vigild upload after the provider came up")
        u.check_events_exactly_once(os.path.join(out, "eve.json"), prov, "dev-1", "after the outage")
        u.compare_pcaps(ref_pcaps, prov.flow_pcaps("dev-1"), "flow pcaps after the outage")
        u.check(prov.heartbeats("dev-1"), "no heartbeat stored after `vigild upload`")
        m2 = re.search(r"(\d+) records left in the spool", res2.stdout)
        u.check(m2 and m2.group(1) == "0",
                f"`vigild upload` should report `0 records left in the spool`:\n{u.describe(res2)}")
        prov.stop()
        print(f"outage: {left} records waited in the spool ({took:.1f} s), then "
              f"delivered: {u.line_of(res2.stdout, 'upload')}")

    sys.exit(u.run_test("outage", body, args))


if __name__ == "__main__":
    main()
