#!/usr/bin/env python3
"""Checks board/systemd and board/setup (CTest board.setup).

- every unit file parses, has [Unit] Description, [Service] ExecStart, [Install] WantedBy, and
  its Exec* commands name programs of this tree (/usr/bin/vigild, /usr/bin/vigil-board,
  /usr/libexec/vigil/<script> = board/setup/<script>); units it depends on exist;
- systemd-analyze verify (when present) accepts them without a single warning, with the install
  paths mapped onto stub programs;
- the setup scripts pass bash -n, and shellcheck when it is installed;
- vfio-bind.sh and hugepages.sh --dry-run against the x710 board on a fake sysfs tree print the
  expected actions and change nothing; vfio-bind.sh refuses a port carrying a host interface
  with addresses and leaves bound ports alone.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    print("FAIL: " + msg)


def check(cond, msg):
    if not cond:
        fail(msg)
    return cond


def parse_unit(path):
    """systemd unit syntax: [Section], Key=Value (repeatable), # or ; comments, \\ continuation."""
    sections = {}
    current = None
    pending = ""
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            line = pending + raw.rstrip("\n")
            pending = ""
            if line.endswith("\\"):
                pending = line[:-1] + " "
                continue
            stripped = line.strip()
            if not stripped or stripped[0] in "#;":
                continue
            if stripped.startswith("["):
                if not stripped.endswith("]"):
                    raise ValueError(f"{path}:{number}: bad section header")
                current = stripped[1:-1]
                sections.setdefault(current, {})
                continue
            if current is None or "=" not in stripped:
                raise ValueError(f"{path}:{number}: expected Key=Value inside a section")
            key, value = stripped.split("=", 1)
            sections[current].setdefault(key.strip(), []).append(value.strip())
    return sections


def program_in_tree(source, program):
    """The tree file that a unit's installed program path stands for, or None."""
    mapping = {
        "/usr/bin/vigild": os.path.join(source, "control/vigild/main.cpp"),
        "/usr/bin/vigil-board": os.path.join(source, "tools/board/main.cpp"),
    }
    if program in mapping:
        return mapping[program]
    prefix = "/usr/libexec/vigil/"
    if program.startswith(prefix):
        return os.path.join(source, "board/setup", program[len(prefix):])
    return None


def check_units(source):
    unit_dir = os.path.join(source, "board/systemd")
    units = sorted(n for n in os.listdir(unit_dir) if n.endswith(".service"))
    check({"vigild.service", "vigil-hugepages.service", "vigil-vfio.service"} <= set(units),
          f"missing units in {unit_dir}: {units}")
    parsed = {}
    for name in units:
        path = os.path.join(unit_dir, name)
        try:
            u = parse_unit(path)
        except ValueError as e:
            fail(str(e))
            continue
        parsed[name] = u
        check(u.get("Unit", {}).get("Description"), f"{name}: [Unit] Description missing")
        check(u.get("Service", {}).get("ExecStart"), f"{name}: [Service] ExecStart missing")
        check(u.get("Install", {}).get("WantedBy"), f"{name}: [Install] WantedBy missing")
        for key in ("ExecStartPre", "ExecStart", "ExecStartPost", "ExecStop"):
            for cmd in u.get("Service", {}).get(key, []):
                program = cmd.lstrip("-@+!:").split()[0]
                tree = program_in_tree(source, program)
                if check(tree is not None, f"{name}: {key} runs {program}, not a Vigil program"):
                    check(os.path.exists(tree), f"{name}: {program} stands for {tree}, missing")
                    if tree.endswith(".sh"):
                        check(os.access(tree, os.X_OK), f"{name}: {tree} is not executable")
        for key in ("Requires", "Wants", "After", "Before"):
            for value in u.get("Unit", {}).get(key, []):
                for dep in value.split():
                    if dep.startswith("vigil"):
                        check(dep in units, f"{name}: {key}={dep}: no such unit in board/systemd")
    v = parsed.get("vigild.service", {}).get("Service", {})
    if v:
        start = v.get("ExecStart", [""])[0]
        check(start.startswith("/usr/bin/vigild run --board ") and " --config " in start,
              f"vigild.service: ExecStart is not 'vigild run --board ... --config ...': {start}")
        check(v.get("Restart") == ["on-failure"], "vigild.service: Restart=on-failure missing")
        check(v.get("LimitMEMLOCK") == ["infinity"], "vigild.service: LimitMEMLOCK=infinity missing")
        caps = " ".join(v.get("CapabilityBoundingSet", []))
        for cap in ("CAP_NET_ADMIN", "CAP_SYS_RAWIO", "CAP_IPC_LOCK"):
            check(cap in caps, f"vigild.service: {cap} not in CapabilityBoundingSet")
    for name in ("vigil-hugepages.service", "vigil-vfio.service"):
        s = parsed.get(name, {}).get("Service", {})
        check(s.get("Type") == ["oneshot"], f"{name}: Type=oneshot expected")
        check("vigild.service" in " ".join(parsed.get(name, {}).get("Unit", {}).get("Before", [])),
              f"{name}: must be ordered Before=vigild.service")
    return unit_dir, units


def verify_units(unit_dir, units):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        print("skip: systemd-analyze not installed")
        return
    with tempfile.TemporaryDirectory() as tmp:
        stubs = os.path.join(tmp, "bin")
        os.mkdir(stubs)
        for program in ("vigild", "vigil-board", "hugepages.sh", "vfio-bind.sh"):
            p = os.path.join(stubs, program)
            with open(p, "w") as f:
                f.write("#!/bin/sh\n")
            os.chmod(p, 0o755)
        for name in units:
            with open(os.path.join(unit_dir, name)) as f:
                text = f.read()
            text = text.replace("/usr/bin/", stubs + "/").replace("/usr/libexec/vigil/", stubs + "/")
            with open(os.path.join(tmp, name), "w") as f:
                f.write(text)
        r = subprocess.run([analyze, "verify", "--man=no"] + [os.path.join(tmp, n) for n in units],
                           capture_output=True, text=True, cwd=tmp)
        out = (r.stdout + r.stderr).strip()
        if "Failed to initialize" in out or "Failed to connect" in out:
            print("skip: systemd-analyze verify cannot run here: " + out.splitlines()[0])
            return
        check(r.returncode == 0 and not out, f"systemd-analyze verify: rc={r.returncode}\n{out}")


def check_scripts(source):
    setup = os.path.join(source, "board/setup")
    scripts = [os.path.join(setup, n) for n in ("hugepages.sh", "vfio-bind.sh")]
    for s in scripts:
        with open(s) as f:
            text = f.read()
        check("set -euo pipefail" in text, f"{s}: set -euo pipefail missing")
        r = subprocess.run(["bash", "-n", s], capture_output=True, text=True)
        check(r.returncode == 0, f"bash -n {s}: {r.stderr}")
    if shutil.which("shellcheck"):
        r = subprocess.run(["shellcheck"] + scripts, capture_output=True, text=True)
        check(r.returncode == 0, "shellcheck:\n" + r.stdout + r.stderr)
    else:
        print("skip: shellcheck not installed")


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def fake_pci(sysfs, dev, driver, ifc):
    """A PCI device bound to `driver` (None: unbound) with a kernel interface `ifc`."""
    d = os.path.join(sysfs, "bus/pci/devices", dev)
    os.makedirs(os.path.join(d, "net", ifc) if ifc else d, exist_ok=True)
    write(os.path.join(d, "driver_override"), "(null)\n")
    os.makedirs(os.path.join(sysfs, "kernel/iommu_groups/17"), exist_ok=True)
    os.symlink(os.path.join(sysfs, "kernel/iommu_groups/17"), os.path.join(d, "iommu_group"))
    if driver:
        drv = os.path.join(sysfs, "bus/pci/drivers", driver)
        os.makedirs(drv, exist_ok=True)
        write(os.path.join(drv, "unbind"), "")
        os.symlink(drv, os.path.join(d, "driver"))


def snapshot(root):
    out = {}
    for dirpath, _, files in os.walk(root):
        for n in files:
            p = os.path.join(dirpath, n)
            with open(p) as f:
                out[p] = f.read()
    return out


def run(cmd, env):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    return r.returncode, r.stdout + r.stderr


def check_vfio_dry_run(source, tool):
    script = os.path.join(source, "board/setup/vfio-bind.sh")
    board = os.path.join(source, "board/x710-1u/board.toml")
    env = dict(os.environ, VIGIL_BOARD_TOOL=tool)
    devs = ["0000:3b:00.0", "0000:3b:00.1", "0000:3b:00.2", "0000:3b:00.3"]
    with tempfile.TemporaryDirectory() as sysfs:
        for i, dev in enumerate(devs):
            fake_pci(sysfs, dev, "i40e", f"vgltest{i}")
        before = snapshot(sysfs)
        rc, out = run([script, "--board", board, "--sysfs", sysfs, "--dry-run"], env)
        check(rc == 0, f"vfio-bind.sh --dry-run: rc={rc}\n{out}")
        check("would run modprobe vfio-pci" in out, f"vfio-bind: no modprobe in:\n{out}")
        for dev in devs:
            d = os.path.join(sysfs, "bus/pci/devices", dev)
            for want in (f"would write vfio-pci > {d}/driver_override",
                         f"{dev}: unbinding from i40e",
                         f"would write {dev} > {d}/driver/unbind",
                         f"would write {dev} > {sysfs}/bus/pci/drivers_probe",
                         f"{dev}: would be bound to vfio-pci"):
                check(want in out, f"vfio-bind dry run lacks '{want}':\n{out}")
        check(snapshot(sysfs) == before, "vfio-bind --dry-run changed the sysfs tree")

        # Idempotent: a port already on vfio-pci is left alone; vfio-pci loaded: no modprobe.
        d0 = os.path.join(sysfs, "bus/pci/devices", devs[0])
        os.unlink(os.path.join(d0, "driver"))
        vfio = os.path.join(sysfs, "bus/pci/drivers/vfio-pci")
        os.makedirs(vfio)
        os.symlink(vfio, os.path.join(d0, "driver"))
        rc, out = run([script, "--board", board, "--sysfs", sysfs, "--dry-run"], env)
        check(rc == 0, f"vfio-bind.sh --dry-run (one bound): rc={rc}\n{out}")
        check(f"{devs[0]}: already bound to vfio-pci" in out and
              f"would write vfio-pci > {d0}/driver_override" not in out,
              f"vfio-bind touches a bound port:\n{out}")
        check("modprobe" not in out, f"vfio-bind loads a loaded module:\n{out}")

        # The management interface: a port whose host interface has an address is refused, and
        # nothing at all is done (lo always has 127.0.0.1).
        if shutil.which("ip"):
            os.makedirs(os.path.join(sysfs, "bus/pci/devices", devs[3], "net/lo"))
            rc, out = run([script, "--board", board, "--sysfs", sysfs, "--dry-run"], env)
            check(rc != 0 and f"{devs[3]}: refusing: its interface lo has addresses" in out,
                  f"vfio-bind does not refuse an addressed interface: rc={rc}\n{out}")
            check("would write" not in out, f"vfio-bind acted before refusing:\n{out}")
        else:
            print("skip: ip not installed (management interface check)")

    # Bad input.
    rc, out = run([script, "--dry-run", "3b:00.0"], env)
    check(rc != 0 and "not a PCI address" in out, f"vfio-bind accepts a bad address:\n{out}")
    rc, out = run([script, "--board", os.path.join(source, "board/sim/board.toml"), "--dry-run"],
                  env)
    check(rc == 0 and "no PCI ports" in out, f"vfio-bind on the sim board:\n{out}")


def check_hugepages_dry_run(source, tool):
    script = os.path.join(source, "board/setup/hugepages.sh")
    board = os.path.join(source, "board/x710-1u/board.toml")
    env = dict(os.environ, VIGIL_BOARD_TOOL=tool)
    with tempfile.TemporaryDirectory() as tmp:
        sysfs = os.path.join(tmp, "sys")
        counter = os.path.join(sysfs, "devices/system/node/node0/hugepages/hugepages-1048576kB",
                               "nr_hugepages")
        write(counter, "0\n")
        mounts = os.path.join(tmp, "mounts")
        write(mounts, "hugetlbfs /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0\n")
        base = [script, "--board", board, "--sysfs", sysfs, "--mounts", mounts, "--dry-run"]
        before = snapshot(tmp)
        rc, out = run(base, env)
        check(rc == 0, f"hugepages.sh --dry-run: rc={rc}\n{out}")
        for want in (f"would write 3 > {counter}", "would run mkdir -p /dev/hugepages-1G",
                     "would run mount -t hugetlbfs -o pagesize=1G,mode=0770 nodev "
                     "/dev/hugepages-1G"):
            check(want in out, f"hugepages dry run lacks '{want}':\n{out}")
        check(snapshot(tmp) == before, "hugepages --dry-run changed files")

        # Enough pages and the mount in place: nothing to do.
        write(counter, "4\n")
        write(mounts, "nodev /dev/hugepages-1G hugetlbfs rw,relatime,pagesize=1024M 0 0\n")
        rc, out = run(base, env)
        check(rc == 0 and "nothing to reserve" in out and "would" not in out,
              f"hugepages is not idempotent:\n{out}")

        # A given count and size override the board.
        write(os.path.join(sysfs, "kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"), "0\n")
        rc, out = run([script, "--pages", "512", "--size", "2M", "--sysfs", sysfs, "--node", "0",
                       "--mounts", mounts, "--dry-run"], env)
        check(rc == 0 and "would write 512 > " in out and "hugepages-2048kB" in out,
              f"hugepages --pages/--size:\n{out}")

        # The sim board needs none.
        rc, out = run([script, "--board", os.path.join(source, "board/sim/board.toml"),
                       "--dry-run"], env)
        check(rc == 0 and "uses no hugepages" in out, f"hugepages on the sim board:\n{out}")

        # A board file the tool refuses stops the script.
        bad = os.path.join(tmp, "bad.toml")
        write(bad, "name = \"x\"\n")
        rc, out = run([script, "--board", bad, "--dry-run"], env)
        check(rc != 0 and "bad.toml" in out, f"hugepages accepts a bad board:\n{out}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True)
    ap.add_argument("--tool", required=True, help="the vigil-board executable")
    a = ap.parse_args()
    unit_dir, units = check_units(a.source)
    verify_units(unit_dir, units)
    check_scripts(a.source)
    check_vfio_dry_run(a.source, a.tool)
    check_hugepages_dry_run(a.source, a.tool)
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    print("board setup: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
