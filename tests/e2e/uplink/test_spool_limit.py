#!/usr/bin/env python3
"""e2e.uplink.spool_limit: the provider is down and the spool is bounded at its minimum (1 MiB)
while the replay's records (mixed.pcap: ~40,000 events and ~200 flow pcaps) are far larger. The
replay exits 3; its `spool:` line and the heartbeat (sent by `vigild upload` once the provider is
up) report flow pcaps (and other events) dropped or evicted and no alert lost: alert drops == 0,
flow_pcap drops > 0, the same figures in both. Then every alert of eve.json is at the provider
exactly once, and nothing is stored twice or that eve.json does not have."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import uplink_lib as u  # noqa: E402

SPOOL_RE = re.compile(r"spool: (\d+) records \((\d+) bytes\) left, (\d+) dropped or evicted "
                      r"\(alerts (\d+), events (\d+), flow pcaps (\d+)\)")


def main():
    ap = u.common_args(__doc__.splitlines()[0])
    ap.add_argument("--pcap", default="mixed.pcap")
    ap.add_argument("--max-bytes", type=int, default=1048576)
    args = ap.parse_args()

    def body(work):
        pcap = u.capture(args, args.pcap)
        pki = u.Pki(args.provider, os.path.join(work, "pki"))
        cert, key = pki.device("dev-1")
        port = u.free_port()
        config = u.write_config(os.path.join(work, "upload.toml"), port, pki.ca, cert, key,
                                spool=os.path.join(work, "spool"), max_bytes=args.max_bytes,
                                connect_timeout_ms=300)
        out = os.path.join(work, "out")
        res = u.run(u.replay_cmd(args, pcap, out, config, upload_timeout=1), 180)
        u.expect_exit(res, 3, "replay --upload into a full spool, provider down")
        line = u.line_of(res.stdout, "spool: ")
        m = SPOOL_RE.match(line or "")
        u.check(m, f"no parsable `spool:` line in the replay's output: {line!r}")
        left, left_bytes, dropped, d_alert, d_event, d_pcap = map(int, m.groups())
        u.check(left_bytes <= args.max_bytes,
                f"the spool holds {left_bytes} bytes, over its max_bytes {args.max_bytes}")
        u.check(d_pcap > 0, f"no flow pcap dropped although the input's records exceed the "
                f"spool ({line})")
        u.check(d_alert == 0, f"{d_alert} alert records dropped while flow pcaps could go: {line}")
        u.check(dropped == d_alert + d_event + d_pcap,
                f"spool line's total {dropped} != alerts+events+flow pcaps: {line}")
        eve = u.parse_lines(u.eve_lines(os.path.join(out, "eve.json")), "eve.json")
        alerts = [o for o in eve if o.get("event_type") == "alert"]
        u.check(alerts, f"{pcap} with {args.rules} gave no alert")

        prov = u.Provider(args.provider, os.path.join(work, "data"), pki.dir, port=port)
        res2 = u.run(u.upload_cmd(args, config, timeout=60), 120)
        u.expect_exit(res2, 0, "vigild upload once the provider is up")
        beats = prov.heartbeats("dev-1")
        u.check(beats, "no heartbeat stored after `vigild upload`")
        drops = beats[-1].get("drops", {})
        want = {"alert": d_alert, "event": d_event, "flow_pcap": d_pcap}
        got = {k: (drops.get(k) or {}).get("total") for k in want}
        u.check(got == want and drops.get("total") == dropped,
                f"heartbeat drops {drops} differ from the replay's spool line ({line}): "
                f"expected totals {want}, total {dropped}")
        alert_drops = drops["alert"]
        u.check(alert_drops.get("dropped") == 0 and alert_drops.get("evicted") == 0,
                f"heartbeat reports alerts dropped/evicted: {alert_drops}")
        pcap_drops = drops["flow_pcap"]
        u.check(pcap_drops.get("dropped", 0) + pcap_drops.get("evicted", 0) == d_pcap,
                f"heartbeat flow_pcap dropped+evicted != total: {pcap_drops}")

        stored = u.parse_lines([l for _, l in prov.event_lines("dev-1")], "provider events")
        u.compare_multisets(u.multiset(alerts),
                            u.multiset(o for o in stored if o.get("event_type") == "alert"),
                            "alerts after the spool overflowed")
        over = u.multiset(stored) - u.multiset(u.uploadable(eve))
        u.check(not over, f"{sum(over.values())} stored lines are not in eve.json or stored too "
                f"often, e.g. {[u.brief(k) for k in list(over)[:3]]}")
        n_pcaps = len(prov.flow_pcaps("dev-1"))
        print(f"spool_limit: {line}\n  heartbeat drops: alert {alert_drops}, event "
              f"{drops['event']}, flow_pcap {pcap_drops}\n  provider: {len(alerts)} alerts of "
              f"{len(alerts)}, {len(stored)} of {len(u.uploadable(eve))} events, {n_pcaps} pcaps")
        prov.stop()

    sys.exit(u.run_test("spool_limit", body, args))


if __name__ == "__main__":
    main()
