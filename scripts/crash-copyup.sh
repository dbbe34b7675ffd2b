#!/usr/bin/env bash
# Copy-ups, then a power cut: which overlays leave torn files in their upper?
#
#   sudo scripts/crash-copyup.sh [ext4|xfs] [SYSTEM...]    systems: kernel fuse-overlayfs stratafs
#                                                          (default: all three, on ext4)
#
# For each system: a fresh filesystem in a loop-mounted image, 20 lower files of 256 KiB, a chmod
# of each through the mount (a copy-up each), unmount; then an fsync of an unrelated file commits
# the journal with every rename in it, and the filesystem is shut down without writing anything
# more (xfs_io's shutdown, which xfstests uses as a stand-in for a power cut: ext4 and xfs take
# it) and mounted again. Prints how many upper files are whole, torn (not the lower file's bytes)
# or absent. Everything mounted here is unmounted at exit, and images are deleted.
set -uo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
FS="${1:-ext4}"
shift || true
SYSTEMS="${*:-kernel fuse-overlayfs stratafs}"
die() { echo "crash-copyup: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || die "needs root (mount, shutdown ioctl)"
[[ $FS == ext4 || $FS == xfs ]] || die "filesystem: ext4 or xfs"
command -v xfs_io >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y xfsprogs >/dev/null || die "cannot install xfsprogs"
if [[ " $SYSTEMS " == *" fuse-overlayfs "* ]] && ! command -v fuse-overlayfs >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y fuse-overlayfs >/dev/null || die "cannot install fuse-overlayfs"
fi

WORK="$(mktemp -d /tmp/stratafs-crash-XXXXXX)"
IMG="$WORK/fs.img" FSDIR="$WORK/fs" MNT="$WORK/mnt"
cleanup() {
  mountpoint -q "$MNT" && { umount "$MNT" || umount -l "$MNT"; }
  mountpoint -q "$FSDIR" && { umount "$FSDIR" || umount -l "$FSDIR"; }
  rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$FSDIR" "$MNT"

for sys in $SYSTEMS; do
  rm -f "$IMG"
  truncate -s 512M "$IMG"
  if [[ $FS == xfs ]]; then mkfs.xfs -q -f "$IMG"; else mkfs.ext4 -q -F "$IMG"; fi || die "mkfs.$FS failed"
  mount -o loop "$IMG" "$FSDIR" || die "cannot loop-mount the image"
  mkdir -p "$FSDIR/lower" "$FSDIR/upper" "$FSDIR/work"
  for i in $(seq 0 19); do head -c 262144 /dev/urandom >"$FSDIR/lower/c$i"; done
  sync -f "$FSDIR/lower"
  opts="lowerdir=$FSDIR/lower,upperdir=$FSDIR/upper,workdir=$FSDIR/work"
  case "$sys" in
    kernel) mount -t overlay -o "$opts" overlay "$MNT" ;;
    fuse-overlayfs) fuse-overlayfs -o "$opts" "$MNT" 2>/dev/null ;;
    stratafs) STRATAFS_LOG=/dev/null "$HERE/stratafs" -o "$opts" "$MNT" ;;
    *) die "unknown system $sys" ;;
  esac || die "cannot mount $sys"
  for i in $(seq 0 19); do chmod 600 "$MNT/c$i" || die "chmod through $sys failed"; done
  umount "$MNT" || die "cannot unmount $sys"
  python3 -c "import os,sys; fd=os.open(sys.argv[1], os.O_CREAT|os.O_WRONLY); os.write(fd, b'x'); os.fsync(fd)" "$FSDIR/unrelated"
  xfs_io -x -c shutdown "$FSDIR" || die "shutdown of $FS failed"
  umount "$FSDIR" && mount -o loop "$IMG" "$FSDIR" || die "cannot mount the image again"
  whole=0 torn=0 absent=0
  for i in $(seq 0 19); do
    if [[ ! -e "$FSDIR/upper/c$i" ]]; then absent=$((absent + 1))
    elif cmp -s "$FSDIR/upper/c$i" "$FSDIR/lower/c$i"; then whole=$((whole + 1))
    else torn=$((torn + 1)); fi
  done
  printf '%-15s on %s: %2d whole, %2d torn, %2d absent (upper/c0: %s bytes)\n' "$sys" "$FS" "$whole" "$torn" "$absent" \
    "$(stat -c %s "$FSDIR/upper/c0" 2>/dev/null || echo -)"
  umount "$FSDIR"
done
