#!/usr/bin/env bash
# Binds the board's NIC ports to vfio-pci so DPDK can drive them (vigil-vfio.service).
#
#   vfio-bind.sh --board /etc/vigil/board.toml [--dry-run] [--sysfs ROOT]
#   vfio-bind.sh [--dry-run] 0000:3b:00.0 0000:3b:00.1 ...
#
# Idempotent: a port already on vfio-pci is left alone. All ports are checked before any is
# touched, and a port whose kernel interface has an IPv4 address, a global IPv6 address or a route
# is refused: that is the management interface (or a typo in the board file), and taking it away
# would cut the operator off the box. Binding goes through driver_override, which names this one
# device; new_id would also grab every other port of the same NIC model, management port included.
# --dry-run prints what would be done and changes nothing. --sysfs points at another /sys (tests).
# The PCI list of a board comes from `vigil-board pci-devices` ($VIGIL_BOARD_TOOL overrides).
set -euo pipefail

tool=${VIGIL_BOARD_TOOL:-vigil-board}
sysfs=/sys
dry_run=0
board=
devices=()

die() {
  echo "vfio-bind: $*" >&2
  exit 1
}

while (($# > 0)); do
  case $1 in
    --board) board=${2:?--board needs a file}; shift 2 ;;
    --sysfs) sysfs=${2:?--sysfs needs a directory}; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) devices+=("$1"); shift ;;
  esac
done

if [[ -n $board ]]; then
  list=$("$tool" pci-devices "$board") || die "cannot read the ports of $board"
  while IFS= read -r dev; do
    if [[ -n $dev ]]; then devices+=("$dev"); fi
  done <<<"$list"
fi
if ((${#devices[@]} == 0)); then
  echo "vfio-bind: no PCI ports to bind (a board of virtual devices)"
  exit 0
fi

# Writes $2 into the sysfs file $1, or says it would.
write() {
  if ((dry_run)); then
    echo "would write $2 > $1"
  else
    echo "$2" >"$1"
  fi
}

# Has the kernel interface $1 an address or a route, i.e. is it in use by the host?
in_use() {
  local ifc=$1
  [[ -n $(ip -o -4 addr show dev "$ifc" 2>/dev/null) ]] && return 0
  [[ -n $(ip -o -6 addr show dev "$ifc" scope global 2>/dev/null) ]] && return 0
  [[ -n $(ip -o -4 route show dev "$ifc" 2>/dev/null) ]] && return 0
  return 1
}

driver_of() {
  local link=$sysfs/bus/pci/devices/$1/driver
  if [[ -L $link ]]; then
    basename "$(readlink "$link")"
  fi
}

# Check every port first: nothing is changed unless all of them can be bound.
pending=()
for dev in "${devices[@]}"; do
  [[ $dev =~ ^[0-9a-f]{4}:[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$ ]] || die "$dev: not a PCI address"
  path=$sysfs/bus/pci/devices/$dev
  [[ -d $path ]] || die "$dev: no such PCI device"
  driver=$(driver_of "$dev")
  if [[ $driver == vfio-pci ]]; then
    echo "$dev: already bound to vfio-pci"
    continue
  fi
  [[ -e $path/iommu_group ]] ||
    die "$dev: no IOMMU group; boot with intel_iommu=on iommu=pt (or amd_iommu=on)"
  if [[ -d $path/net ]]; then
    for ifc_path in "$path"/net/*; do
      [[ -e $ifc_path ]] || continue
      ifc=$(basename "$ifc_path")
      if in_use "$ifc"; then
        die "$dev: refusing: its interface $ifc has addresses or routes (management interface?)"
      fi
    done
  fi
  pending+=("$dev")
done

if ((${#pending[@]} == 0)); then
  exit 0
fi

if [[ ! -d $sysfs/bus/pci/drivers/vfio-pci ]]; then
  if ((dry_run)); then
    echo "would run modprobe vfio-pci"
  else
    modprobe vfio-pci
  fi
fi

for dev in "${pending[@]}"; do
  path=$sysfs/bus/pci/devices/$dev
  driver=$(driver_of "$dev")
  write "$path/driver_override" vfio-pci
  if [[ -n $driver ]]; then
    echo "$dev: unbinding from $driver"
    write "$path/driver/unbind" "$dev"
  fi
  write "$sysfs/bus/pci/drivers_probe" "$dev"
  if ((dry_run)); then
    echo "$dev: would be bound to vfio-pci"
  else
    [[ $(driver_of "$dev") == vfio-pci ]] || die "$dev: vfio-pci did not take the device"
    echo "$dev: bound to vfio-pci"
  fi
done
