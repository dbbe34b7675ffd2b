#!/usr/bin/env bash
# Measures how long `scripts/stratafs -o ... MNT` takes from the command to its exit 0, which is
# when the mount is live (what podman waits for). Prints each run, then min and median, and the
# load average since a shared machine skews the numbers. Needs a build and FUSE (root).
#   scripts/measure-startup.sh [RUNS]        (default 10; the first run after a build also
#                                             trains the AppCDS archive and is not counted)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
runs=${1:-10}
tmp=$(mktemp -d /tmp/stratafs-startup.XXXXXX)
mnt=$tmp/m
cleanup() {
    grep -q " $mnt " /proc/self/mountinfo 2>/dev/null && { fusermount -u "$mnt" 2>/dev/null || umount -l "$mnt"; }
    rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp"/{l1,l2,u,w,m}
echo a > "$tmp/l1/a"
echo b > "$tmp/l2/b"
opts="lowerdir=$tmp/l1:$tmp/l2,upperdir=$tmp/u,workdir=$tmp/w,log=$tmp/log"

mount_once() {
    local s e
    s=$(date +%s%N)
    "$repo/scripts/stratafs" -o "$opts" "$mnt"
    e=$(date +%s%N)
    grep -q " $mnt .* - fuse" /proc/self/mountinfo || { echo "not mounted after exit 0" >&2; exit 1; }
    fusermount -u "$mnt"
    for _ in $(seq 100); do pgrep -f -- "-o $opts" >/dev/null || break; sleep 0.02; done
    echo $(((e - s) / 1000000))
}

mount_once >/dev/null # warm-up: page cache, AppCDS training after a build
times=()
for ((i = 1; i <= runs; i++)); do
    t=$(mount_once)
    times+=("$t")
    echo "run $i: $t ms"
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "min ${sorted[0]} ms, median ${sorted[$((runs / 2))]} ms over $runs runs; load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
