#!/usr/bin/env bash
# Reserves the hugepages a board needs and mounts hugetlbfs for them (vigil-hugepages.service).
#
#   hugepages.sh --board /etc/vigil/board.toml [--dry-run]
#   hugepages.sh --pages N --size 2M|1G [--node N] [--dry-run]
#   further options: --mount DIR (default /dev/hugepages-<size>), --sysfs ROOT, --mounts FILE
#
# The count comes from `vigil-board hugepages` (the mempool's needs plus headroom, on the
# board's NUMA node; $VIGIL_BOARD_TOOL overrides the tool) unless --pages gives it. Idempotent:
# pages are only ever added, and an existing hugetlbfs mount of the right size is kept. 1G pages
# reserved at run time may fail on a fragmented memory; the error says to reserve them at boot.
# --dry-run prints what would be done and changes nothing.
set -euo pipefail

tool=${VIGIL_BOARD_TOOL:-vigil-board}
sysfs=/sys
mounts=/proc/mounts
dry_run=0
board=
pages=
size=
node=
mount_dir=

die() {
  echo "hugepages: $*" >&2
  exit 1
}

while (($# > 0)); do
  case $1 in
    --board) board=${2:?--board needs a file}; shift 2 ;;
    --pages) pages=${2:?--pages needs a count}; shift 2 ;;
    --size) size=${2:?--size needs 2M or 1G}; shift 2 ;;
    --node) node=${2:?--node needs a NUMA node}; shift 2 ;;
    --mount) mount_dir=${2:?--mount needs a directory}; shift 2 ;;
    --sysfs) sysfs=${2:?--sysfs needs a directory}; shift 2 ;;
    --mounts) mounts=${2:?--mounts needs a file}; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done

kb=
if [[ -n $board ]]; then
  need=$("$tool" hugepages "$board") || die "cannot read the needs of $board"
  if [[ -z $need && -z $pages ]]; then
    echo "hugepages: $board uses no hugepages"
    exit 0
  fi
  if [[ -n $need ]]; then
    read -r board_node board_kb board_pages <<<"$need"
    node=${node:-$board_node}
    kb=$board_kb
    pages=${pages:-$board_pages}
  fi
fi
case $size in
  "") ;;
  2M | 2m) kb=2048 ;;
  1G | 1g) kb=1048576 ;;
  *) die "--size must be 2M or 1G" ;;
esac
[[ -n $kb ]] || die "give --board FILE, or --pages N and --size 2M|1G"
[[ $pages =~ ^[0-9]+$ ]] || die "--pages must be a number"
node=${node:-0}
[[ $node =~ ^[0-9]+$ ]] || die "--node must be a number"
if ((kb == 1048576)); then label=1G; else label=2M; fi
mount_dir=${mount_dir:-/dev/hugepages-$label}

# Per-node counter where the kernel has NUMA nodes; the global one otherwise.
counter=$sysfs/devices/system/node/node$node/hugepages/hugepages-${kb}kB/nr_hugepages
if [[ ! -e $counter ]]; then
  ((node == 0)) || die "NUMA node $node has no $label hugepage counter"
  counter=$sysfs/kernel/mm/hugepages/hugepages-${kb}kB/nr_hugepages
fi
[[ -e $counter ]] || die "the kernel offers no $label hugepages ($counter)"

have=$(<"$counter")
if ((have >= pages)); then
  echo "hugepages: node $node has $have of $pages $label pages: nothing to reserve"
elif ((dry_run)); then
  echo "would write $pages > $counter"
else
  echo "$pages" >"$counter"
  got=$(<"$counter")
  ((got >= pages)) ||
    die "node $node: the kernel gave $got of $pages $label pages (memory fragmented?);" \
      "reserve them at boot: hugepagesz=$label hugepages=$pages"
  echo "hugepages: node $node now has $got $label pages"
fi

# Mounted already with this page size?
mounted=0
while read -r _ dir fstype options _; do
  if [[ $dir == "$mount_dir" && $fstype == hugetlbfs ]]; then
    # The kernel shows 1G pages as pagesize=1024M; a mount without pagesize has the default (2M).
    if [[ $options == *pagesize=$label* || ($label == 1G && $options == *pagesize=1024M*) ||
      ($label == 2M && $options != *pagesize=*) ]]; then
      mounted=1
    fi
  fi
done <"$mounts"
if ((mounted)); then
  echo "hugepages: $mount_dir is mounted"
elif ((dry_run)); then
  echo "would run mkdir -p $mount_dir"
  echo "would run mount -t hugetlbfs -o pagesize=$label,mode=0770 nodev $mount_dir"
else
  mkdir -p "$mount_dir"
  mount -t hugetlbfs -o "pagesize=$label,mode=0770" nodev "$mount_dir"
  echo "hugepages: mounted $mount_dir"
fi
