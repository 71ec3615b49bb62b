#!/usr/bin/env python3
"""e2e.uplink.refusals: the mutual-TLS channel is refused, and the provider stores nothing, for: a
client trusting an unknown CA, a wrong server name, an expired / not-yet-valid device certificate,
a device certificate of another CA, an expired server certificate, and a client without a
certificate (Python's ssl). Each vigild case runs `vigild upload --timeout 2` on its own copy of a
spool filled while the provider was down, expects exit 3 and the reason in stderr; a last run with
the right configuration then delivers that spool (the refusals were the channel's doing)."""
import http.client
import os
import re
import shutil
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import uplink_lib as u  # noqa: E402


def main():
    ap = u.common_args(__doc__.splitlines()[0])
    ap.add_argument("--pcap", default="demo.pcap")
    ap.add_argument("--case", default=None, help="only this case (debugging)")
    args = ap.parse_args()

    def body(work):
        pcap = u.capture(args, args.pcap)
        good = u.Pki(args.provider, os.path.join(work, "pki"))
        foreign = u.Pki(args.provider, os.path.join(work, "pki-foreign"))
        stale = u.Pki(args.provider, os.path.join(work, "pki-expired-server"),
                      not_before=-10, not_after=-5)
        dev = good.device("dev-1")
        dev_expired = good.device("dev-expired", not_before=-10, not_after=-5)
        dev_future = good.device("dev-future", not_before=5, not_after=10)
        dev_foreign = foreign.device("dev-1")
        dev_stale = stale.device("dev-1")

        # A spool with records: the replay while nothing listens.
        spool = os.path.join(work, "spool")
        cfg = u.write_config(os.path.join(work, "fill.toml"), u.free_port(), good.ca, *dev,
                             spool=spool, connect_timeout_ms=300)
        res = u.run(u.replay_cmd(args, pcap, os.path.join(work, "out"), cfg, upload_timeout=1), 60)
        u.expect_exit(res, 3, "replay --upload with the provider down (filling the spool)")

        prov = u.Provider(args.provider, os.path.join(work, "data"), good.dir)
        prov_stale = u.Provider(args.provider, os.path.join(work, "data-stale"), stale.dir)

        # name: (provider, ca, (cert, key), server_name, vigild stderr pattern, provider log
        # pattern or None). Where the provider refuses the client's certificate it closes the
        # connection: the client sees a reset, the reason is in the provider's log.
        reset = r"handshake with .* failed"
        cases = {
            "unknown_ca": (prov, foreign.ca, dev, u.SERVER_NAME,
                           r"certificate verify failed.*not correctly signed", None),
            "wrong_hostname": (prov, good.ca, dev, "wrong.vigil.test",
                               r"certificate verify failed.*Common Name \(CN\) does not match",
                               None),
            "expired_device": (prov, good.ca, dev_expired, u.SERVER_NAME, reset,
                               r"certificate verify failed.*validity has expired"),
            "future_device": (prov, good.ca, dev_future, u.SERVER_NAME, reset,
                              r"certificate verify failed.*validity starts in the future"),
            "foreign_device": (prov, good.ca, dev_foreign, u.SERVER_NAME, reset,
                               r"certificate verify failed.*not correctly signed"),
            "expired_server": (prov_stale, stale.ca, dev_stale, u.SERVER_NAME,
                               r"certificate verify failed.*validity has expired", None),
        }
        failures = []
        for name, (p, ca, (cert, key), server_name, pattern, log_pattern) in cases.items():
            if args.case and name != args.case:
                continue
            log_at = len(p.stderr_text())
            case_spool = os.path.join(work, f"spool-{name}")
            shutil.copytree(spool, case_spool)
            config = u.write_config(os.path.join(work, f"{name}.toml"), p.port, ca, cert, key,
                                    spool=case_spool, server_name=server_name)
            r = u.run(u.upload_cmd(args, config, timeout=2), 30)
            if r.returncode != 3:
                failures.append(f"{name}: expected exit 3 (refused), got {r.returncode}\n"
                                f"{u.describe(r)}")
            elif not re.search(pattern, r.stderr, re.S):
                failures.append(f"{name}: stderr does not match /{pattern}/: {r.stderr.strip()}")
            else:
                print(f"  {name}: refused: {reason(r.stderr)}")
            if log_pattern:
                log = wait_for_log(p, log_at, log_pattern)
                if not re.search(log_pattern, log):
                    failures.append(f"{name}: the provider's log does not match /{log_pattern}/: "
                                    f"{log.strip()[:600]!r}")
                else:
                    print(f"  {name}: provider: {reason(log)}")
            for pv in (prov, prov_stale):
                stored = pv.stored_files()
                if stored:
                    failures.append(f"{name}: the provider ({pv.data}) stored files: {stored[:10]}")
                    shutil.rmtree(pv.data)
                    os.makedirs(pv.data)

        if not args.case or args.case == "no_client_cert":
            log_at = len(prov.stderr_text())
            err = no_client_cert(prov.port, good.ca)
            if err:
                failures.append(f"no_client_cert: {err}")
            log = wait_for_log(prov, log_at, r"refused .*handshake")
            if not re.search(r"refused .*handshake", log):
                failures.append(f"no_client_cert: the provider's log names no refused handshake: "
                                f"{log.strip()[:600]!r}")
            else:
                print(f"  no_client_cert: provider: {reason(log)}")
            stored = prov.stored_files()
            if stored:
                failures.append(f"no_client_cert: the provider stored files: {stored[:10]}")

        u.check(prov.alive() and prov_stale.alive(),
                f"a provider exited during the refusals: {prov.stderr_text()} "
                f"{prov_stale.stderr_text()}")
        if failures:
            raise u.Failure(f"{len(failures)} refusal case(s) wrong:\n" + "\n".join(failures))

        # Control: the same spool with the right configuration goes through.
        config = u.write_config(os.path.join(work, "good.toml"), prov.port, good.ca, *dev,
                                spool=spool)
        r = u.run(u.upload_cmd(args, config, timeout=30), 60)
        u.expect_exit(r, 0, "control upload with the right configuration")
        u.check_events_exactly_once(os.path.join(work, "out", "eve.json"), prov, "dev-1", "control")
        prov.stop()
        prov_stale.stop()

    sys.exit(u.run_test("refusals", body, args))


def wait_for_log(provider, offset, pattern, timeout=5.0):
    """The provider's log from offset on, once it matches pattern or after timeout seconds (the
    client can see the reset before the provider has written its line)."""
    deadline = time.monotonic() + timeout
    while True:
        log = provider.stderr_text()[offset:]
        if re.search(pattern, log) or time.monotonic() > deadline:
            return log
        time.sleep(0.05)


def reason(text):
    """The last line of a program's error output, from its `failed:` on."""
    lines = text.strip().splitlines()
    last = lines[-1] if lines else ""
    return last[last.find("failed:"):] if "failed:" in last else last[-200:]


def no_client_cert(port, ca):
    """None when the provider refuses a TLS client without a certificate (handshake or first
    request fails), else what happened."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca)
    ctx.check_hostname = True
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        tls = ctx.wrap_socket(sock, server_hostname=u.SERVER_NAME)
    except (ssl.SSLError, OSError) as e:
        print(f"  no_client_cert: refused in the handshake: {e}")
        sock.close()
        return None
    try:
        conn.sock = tls
        body = b'{"event_type":"alert","note":"from a client without a certificate"}\n'
        conn.request("POST", "/v1/events", body=body,
                     headers={"Idempotency-Key": "no-cert-1", "Content-Type": "application/x-ndjson"})
        resp = conn.getresponse()
        data = resp.read()
        return f"request answered {resp.status} {resp.reason}: {data[:200]!r}"
    except (ssl.SSLError, OSError, http.client.HTTPException) as e:
        print(f"  no_client_cert: refused at the first request: {type(e).__name__}: {e}")
        return None
    finally:
        conn.close()


if __name__ == "__main__":
    main()
