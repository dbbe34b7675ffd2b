#!/usr/bin/env bash
# Whole-mount comparison: stratafs vs the kernel overlay (mount -t overlay) vs fuse-overlayfs on
# the same layer stacks, the systems interleaved per workload (A B C A B C ...), N repetitions.
#
#   sudo scripts/bench-mount.sh                 3 repetitions, fixtures in /tmp/stratafs-mountbench
#   BENCH_REPS=5 scripts/bench-mount.sh         more repetitions
#   BENCH_ONLY='walk_cold stat10k_cold' ...     run a subset of the workloads (names below)
#   BENCH_SYSTEMS='kernel fuse-overlayfs' ...   choose systems (default: kernel fuse-overlayfs [stratafs]);
#                                               stratafs-c2 is stratafs with C2 (TieredStopAtLevel=4)
#                                               instead of the launcher's C1-only default;
#                                               stratafs-hl is stratafs on its path engine (-o highlevel);
#                                               stratafs-volatile is stratafs -o volatile (no fsync of
#                                               copy-ups, as fuse-overlayfs; the kernel overlay fsyncs);
#                                               stratafs-metacopy is stratafs -o metacopy=on (chmod,
#                                               chown, touch copy up without data), kernel-metacopy
#                                               the kernel overlay with the same option;
#                                               stratafs-alt is the build of another checkout, named by
#                                               BENCH_ALT (an A/B of two commits, interleaved)
#   BENCH_DIR=/tmp/x BENCH_KEEP=1 ...           fixture dir; keep the generated layers for a rerun
#   BENCH_CSV=out.csv                           raw results (default $BENCH_DIR/results.csv; with
#                                               BENCH_FS, the image's name with -results.csv)
#   BENCH_STRATAFS_OPTS=timeout=86400           extra -o options for stratafs (e.g. its cache timeout)
#   BENCH_FS=ext4                               fixtures and uppers on a fresh journaled ext4: an image
#                                               file (BENCH_IMG, default /var/tmp/stratafs-bench.img,
#                                               8 GiB sparse) loop-mounted on BENCH_DIR, unmounted at
#                                               exit (the image is kept with BENCH_KEEP=1). Without a
#                                               journal, ext4 skips inodes freed in the last 5-300 s
#                                               when it allocates (recently_deleted() in
#                                               fs/ext4/ialloc.c), so create-heavy numbers follow
#                                               whatever was deleted nearby before
#   BENCH_FS=xfs | BENCH_FS=btrfs               the same on a fresh xfs (reflink=1) or btrfs image
#                                               (default /var/tmp/stratafs-bench-FS.img): uppers that
#                                               can clone a lower file's extents (FICLONE), so a
#                                               copy-up shares the data instead of copying it
#
# stratafs takes part once scripts/stratafs exists (same command line as fuse-overlayfs).
# Needs root (mount, chroot, drop_caches). Every mount made here is unmounted by the EXIT trap,
# and only daemons this script started are killed (by PID), and only if they outlive unmount.
#
# Workloads (cold = fresh mount + `echo 3 > /proc/sys/vm/drop_caches` first):
#   mount_ms        command to live mount (listed in mountinfo and answering a stat), rootfs stack
#   walk_cold       find -printf %s%m over a ~20k-file rootfs-like stack of 8 layers
#   walk_warm       the same walk again on the same mount
#   rss_kib         daemon VmRSS after the two walks (FUSE systems only)
#   stat10k_cold    lstat of 10,000 paths in a 32-layer stack (stat(1) via xargs)
#   readdir_cold    ls -f of a directory merged from 32 layers with 10,000 entries
#   readall_cold    cat every file of the rootfs stack to /dev/null
#   seqread_cold    dd of a 1 GiB lower file (random data, no holes), bs=1M
#   copyup_256m     first append of one byte to a 256 MiB lower file (copy-up, made durable as
#                   each system does: the kernel fsyncs, fuse-overlayfs does not)
#   chmod_1000      chmod of 1,000 lower 4 KiB files (one copy-up each), one chmod(1) process
#   create_10k      create 10,000 one-byte files in a new directory (bash builtins, no forks)
#   untar           tar -x of a ~2.6k-file tree into the mount
#   rmrf_lower      rm -rf of a lower subtree (~2.5k files spread over 8 layers -> whiteouts)
#   chroot_exec_ms  chroot MNT /bin/busybox true (static busybox in the bottom layer), per exec
# The workloads that write (copyup_256m to rmrf_lower) start after an untimed sync.
set -uo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(dirname "$HERE")"
BD="${BENCH_DIR:-/tmp/stratafs-mountbench}"
REPS="${BENCH_REPS:-3}"
CSV="${BENCH_CSV:-$BD/results.csv}"
CHROOT_N="${BENCH_CHROOT_N:-100}"
STRATAFS="$REPO/scripts/stratafs"
ALL_WORKLOADS="mount_ms walk_cold walk_warm stat10k_cold readdir_cold readall_cold seqread_cold copyup_256m chmod_1000 create_10k untar rmrf_lower chroot_exec_ms"
WORKLOADS="${BENCH_ONLY:-$ALL_WORKLOADS}"

die() { echo "bench-mount: $*" >&2; exit 1; }
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
[[ $(id -u) == 0 ]] || die "needs root (mount, chroot, drop_caches)"

# ------------------------------------------------------------------ systems
if [[ -z "${BENCH_SYSTEMS:-}" ]]; then
  SYSTEMS="kernel fuse-overlayfs"
  [[ -x "$STRATAFS" ]] && SYSTEMS="$SYSTEMS stratafs"
else
  SYSTEMS="$BENCH_SYSTEMS"
fi
if [[ " $SYSTEMS " == *" fuse-overlayfs "* ]] && ! command -v fuse-overlayfs >/dev/null; then
  log "installing fuse-overlayfs"
  for _ in 1 2 3 4 5 6; do
    DEBIAN_FRONTEND=noninteractive apt-get install -y fuse-overlayfs >/dev/null && break
    sleep 10   # the dpkg lock is shared with other users of the machine
  done
  command -v fuse-overlayfs >/dev/null || die "cannot install fuse-overlayfs"
fi
command -v busybox >/dev/null || die "busybox (static) is needed for the chroot workload"
if [[ " $SYSTEMS " == *" stratafs"* ]]; then
  [[ -x "$STRATAFS" ]] || die "$STRATAFS is missing"
  if ! compgen -G "$REPO/fuse-mount/target/fuse-mount-*.jar" >/dev/null || [[ "${BENCH_BUILD:-1}" == 1 ]]; then
    log "building fuse-mount (mvn -B -o -q -pl fuse-mount -am package -DskipTests)"
    (cd "$REPO" && mvn -B -o -q -pl fuse-mount -am package -DskipTests) || die "build failed"
  fi
fi

# ------------------------------------------------------------------ cleanup
MOUNTED=()      # mountpoints this script mounted
DAEMONS=()      # PIDs of FUSE daemons serving those mounts
cleanup() {
  local m p
  for m in "${MOUNTED[@]}"; do
    if is_mounted "$m"; then umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; fi
  done
  for p in "${DAEMONS[@]}"; do
    if [[ -n "$p" ]] && kill -0 "$p" 2>/dev/null; then sleep 1; kill "$p" 2>/dev/null; fi
  done
  rm -rf "$BD/run" "$BD/trash"
  [[ "${BENCH_KEEP:-0}" == 1 ]] || rm -rf "$BD/layers" "$BD/untar.tar"
  if [[ -n "$LOOPFS" ]]; then
    umount "$LOOPFS" || umount -l "$LOOPFS"
    [[ "${BENCH_KEEP:-0}" == 1 ]] || rm -f "$IMG"
  fi
}
LOOPFS=""
trap cleanup EXIT
trap 'exit 130' INT TERM

is_mounted() {
  local _a _b _c _d mp _rest
  while read -r _a _b _c _d mp _rest; do [[ "$mp" == "$1" ]] && return 0; done </proc/self/mountinfo
  return 1
}

now_ns() { date +%s%N; }
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }

# ------------------------------------------------------------------ fixtures
gen_fixtures() {
  if [[ -f "$BD/layers/.complete" ]]; then log "reusing fixtures in $BD/layers"; return; fi
  rm -rf "$BD/layers"; mkdir -p "$BD/layers"
  log "generating layer stacks in $BD/layers (once)"
  python3 - "$BD/layers" <<'PY' || die "fixture generation failed"
import os, random, sys
root = sys.argv[1]
rnd = random.Random(7)
blob = os.urandom(1 << 16)

def put(path, size):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        off = rnd.randrange(0, len(blob) - size) if size < len(blob) else 0
        f.write(blob[off:off + size])

def wh(path):  # kernel-format whiteout: char device 0/0
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.mknod(path, 0o20000 | 0o644, os.makedev(0, 0))

def size():
    r = rnd.random()
    return 0 if r < 0.05 else rnd.randrange(1, 16384)

# rootfs: 8 layers (l0 top), ~20k files. Each layer owns usr/lib/p<L>_<a>/s<b>/f<c>; all layers
# write etc/ and usr/bin/ (upper versions hide lower ones); every layer but the bottom whites
# out a few files of the layer below; usr/share/doc is spread over all layers (the rm -rf target).
rf = os.path.join(root, "rootfs")
for L in range(8):
    l = os.path.join(rf, "l%d" % L)
    for a in range(10):
        for b in range(10):
            for c in range(22):
                put(os.path.join(l, "usr/lib/p%d_%d/s%d/f%d" % (L, a, b, c)), size())
    for k in range(40):
        put(os.path.join(l, "etc/conf%d" % k), rnd.randrange(1, 2048))
    for k in range(100):
        if k % 8 == L or k % 3 == 0:
            put(os.path.join(l, "usr/bin/tool%d" % k), rnd.randrange(1, 32768))
    for k in range(300):
        put(os.path.join(l, "usr/share/doc/pkg%d/f%d" % (k % 30, L * 1000 + k)), rnd.randrange(1, 4096))
    if L < 7:
        for c in range(5):
            wh(os.path.join(l, "usr/lib/p%d_0/s0/f%d" % (L + 1, c)))
    if L == 7:
        os.makedirs(os.path.join(l, "bin"), exist_ok=True)
        os.makedirs(os.path.join(l, "tmp"), exist_ok=True)

# wide: 32 layers, one directory d/ merged from all of them, 10,000 entries in total.
wd = os.path.join(root, "wide")
paths = []
for i in range(10000):
    L = i % 32
    p = "d/e%05d" % i
    put(os.path.join(wd, "l%d" % L, p), 100)
    paths.append(p)
for L in range(32):
    os.makedirs(os.path.join(wd, "l%d" % L, "d"), exist_ok=True)
with open(os.path.join(root, "wide.paths"), "w") as f:
    f.write("\n".join(paths) + "\n")

# big: l0 has many/f0000..f0999 (4 KiB), l1 has big (1 GiB) and mid (256 MiB), random data.
bg = os.path.join(root, "big")
for k in range(1000):
    put(os.path.join(bg, "l0/many/f%04d" % k), 4096)
os.makedirs(os.path.join(bg, "l1"), exist_ok=True)
for name, n in (("big", 1024), ("mid", 256)):
    with open(os.path.join(bg, "l1", name), "wb") as f:
        for _ in range(n):
            f.write(os.urandom(1 << 20))
PY
  cp "$(command -v busybox)" "$BD/layers/rootfs/l7/bin/busybox"
  # From the bottom layer: the others hold whiteouts (char devices), which are not what untar is about.
  tar -C "$BD/layers/rootfs/l7" -cf "$BD/untar.tar" usr/lib etc
  touch "$BD/layers/.complete"
}

lowerdir() {  # lowerdir=... value for a stack, topmost first
  local s=$1 n i out=""
  n=$(find "$BD/layers/$s" -mindepth 1 -maxdepth 1 -name 'l*' | wc -l)
  for ((i = 0; i < n; i++)); do out+="${out:+:}$BD/layers/$s/l$i"; done
  echo "$out"
}

# ------------------------------------------------------------------ mounting
MNT="$BD/run/mnt"
DPID=""
MOUNT_NS=0
find_daemon() {  # PID of the process whose command line names the mountpoint (a java one first)
  local d args a comm any=""
  for d in /proc/[0-9]*; do
    [[ "${d#/proc/}" == "$$" || "${d#/proc/}" == "$BASHPID" ]] && continue
    mapfile -d '' -t args 2>/dev/null <"$d/cmdline" || continue
    for a in "${args[@]}"; do
      if [[ "$a" == "$MNT" || "$a" == *"upperdir=$BD/run/upper"* ]]; then
        read -r comm 2>/dev/null <"$d/comm" || comm=""
        if [[ "$comm" == java || "$comm" == fuse-overlayfs ]]; then echo "${d#/proc/}"; return 0; fi
        any=${d#/proc/}
        break
      fi
    done
  done
  [[ -n "$any" ]] && { echo "$any"; return 0; }
  return 1
}

# do_mount SYSTEM STACK: fresh upper/work, mount, wait until live. Sets DPID and MOUNT_NS.
do_mount() {
  local sys=$1 stack=$2 opts t0 i
  # The last run's upper and work trees are set aside, not deleted: on an ext4 without a journal
  # (like this VM's) every inode freed in the last 30 s is skipped, one by one, by the next
  # inode allocations (fs/ext4/ialloc.c recently_deleted), so deleting the previous system's
  # 10k-file upper made whichever system ran next pay for it (the kernel overlay's create_10k
  # went from 0.6 to 4.6 s). Deleted once, at exit. Except the few big files (the 256 MiB
  # copy-ups): five repetitions of four systems would keep 5 GiB of them, more than the 8 GiB
  # image holds next to the fixtures, and deleting a handful of inodes costs the next system
  # nothing.
  if [[ -d "$BD/run" ]]; then
    find "$BD/run" -xdev -type f -size +64M -delete 2>/dev/null
    mkdir -p "$BD/trash"; mv "$BD/run" "$BD/trash/run.$(now_ns)"
  fi
  mkdir -p "$BD/run/upper" "$BD/run/work" "$MNT"
  opts="lowerdir=$(lowerdir "$stack"),upperdir=$BD/run/upper,workdir=$BD/run/work"
  [[ $sys == stratafs* && -n "${BENCH_STRATAFS_OPTS:-}" ]] && opts+=",$BENCH_STRATAFS_OPTS"
  MOUNTED+=("$MNT")
  DPID=""
  t0=$(now_ns)
  case $sys in
    kernel) mount -t overlay overlay -o "$opts" "$MNT" || return 1 ;;
    kernel-metacopy) mount -t overlay overlay -o "$opts,metacopy=on" "$MNT" || return 1 ;;
    fuse-overlayfs) fuse-overlayfs -o "$opts" "$MNT" || return 1 ;;
    stratafs) STRATAFS_LOG="$BD/stratafs.log" "$STRATAFS" -o "$opts" "$MNT" >>"$BD/stratafs.out" 2>&1 || return 1 ;;
    stratafs-hl)
      STRATAFS_LOG="$BD/stratafs.log" "$STRATAFS" -o "$opts,highlevel" "$MNT" >>"$BD/stratafs.out" 2>&1 || return 1 ;;
    stratafs-alt)
      [[ -x "${BENCH_ALT:-}/scripts/stratafs" ]] || die "stratafs-alt needs BENCH_ALT=<checkout with a build>"
      STRATAFS_LOG="$BD/stratafs.log" "$BENCH_ALT/scripts/stratafs" -o "$opts" "$MNT" >>"$BD/stratafs.out" 2>&1 || return 1 ;;
    stratafs-volatile)
      STRATAFS_LOG="$BD/stratafs.log" "$STRATAFS" -o "$opts,volatile" "$MNT" >>"$BD/stratafs.out" 2>&1 || return 1 ;;
    stratafs-metacopy)
      STRATAFS_LOG="$BD/stratafs.log" "$STRATAFS" -o "$opts,metacopy=on" "$MNT" >>"$BD/stratafs.out" 2>&1 || return 1 ;;
    stratafs-c2)
      STRATAFS_LOG="$BD/stratafs.log" STRATAFS_JAVA_OPTS="-XX:TieredStopAtLevel=4 ${STRATAFS_JAVA_OPTS:-}" \
        "$STRATAFS" -o "$opts" "$MNT" >>"$BD/stratafs.out" 2>&1 || return 1 ;;
    *) die "unknown system $sys" ;;
  esac
  for ((i = 0; i < 20000; i++)); do
    if is_mounted "$MNT" && [[ -d "$MNT/." ]]; then break; fi
    sleep 0.001
  done
  is_mounted "$MNT" || return 1
  MOUNT_NS=$(($(now_ns) - t0))
  if [[ $sys != kernel* ]]; then DPID=$(find_daemon) || DPID=""; DAEMONS+=("$DPID"); fi
  return 0
}

do_umount() {
  local i
  if is_mounted "$MNT"; then umount "$MNT" 2>/dev/null || umount -l "$MNT"; fi
  if [[ -n "$DPID" ]]; then  # the daemon should exit on unmount; give it 10 s
    for ((i = 0; i < 1000; i++)); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.01; done
    kill -0 "$DPID" 2>/dev/null && { log "daemon $DPID outlived unmount, killing it"; kill "$DPID"; }
  fi
  DPID=""
}

# ------------------------------------------------------------------ workloads
# Each sets VALUE (and UNIT) for one measurement on a mounted $MNT. Untimed preparation first.
VALUE=""; UNIT="ms"
ms_since() { VALUE=$(awk -v a="$1" -v b="$(now_ns)" 'BEGIN{printf "%.3f", (b-a)/1e6}'); UNIT=ms; }

stack_of() {
  case $1 in
    stat10k_cold | readdir_cold) echo wide ;;
    seqread_cold | copyup_256m | chmod_1000) echo big ;;
    *) echo rootfs ;;
  esac
}

run_workload() {  # run_workload NAME SYSTEM -> VALUE, or returns 1
  local w=$1 sys=$2 t0 i
  do_mount "$sys" "$(stack_of "$w")" || { log "mount failed ($sys)"; return 1; }
  case $w in
    copyup_256m | chmod_1000 | create_10k | untar | rmrf_lower)
      # Untimed: what the previous system left dirty (fuse-overlayfs's and a volatile stratafs's
      # copies are not synced) would otherwise be written back during this run, and a system
      # that waits for its own writes would pay for it.
      sync ;;
  esac
  case $w in
    mount_ms) VALUE=$(awk -v n="$MOUNT_NS" 'BEGIN{printf "%.3f", n/1e6}'); UNIT=ms ;;
    walk_cold)
      drop_caches; t0=$(now_ns)
      find "$MNT" -printf '%s %m\n' >/dev/null || return 1
      ms_since "$t0" ;;
    walk_warm)
      find "$MNT" -printf '%s %m\n' >/dev/null || return 1
      t0=$(now_ns)
      find "$MNT" -printf '%s %m\n' >/dev/null || return 1
      ms_since "$t0"
      if [[ -n "$DPID" ]]; then
        local rss
        rss=$(awk '/^VmRSS:/{print $2}' "/proc/$DPID/status" 2>/dev/null)
        [[ -n "$rss" ]] && record rss_kib "$sys" "$rss" KiB
      fi ;;
    stat10k_cold)
      drop_caches; t0=$(now_ns)
      sed "s|^|$MNT/|" "$BD/layers/wide.paths" | xargs -d '\n' stat -c %i >/dev/null || return 1
      ms_since "$t0" ;;
    readdir_cold)
      drop_caches; t0=$(now_ns)
      [[ $(ls -f "$MNT/d" | wc -l) == 10002 ]] || { log "readdir: wrong entry count"; return 1; }
      ms_since "$t0" ;;
    readall_cold)
      drop_caches; t0=$(now_ns)
      find "$MNT" -type f -print0 | xargs -0 cat >/dev/null || return 1
      ms_since "$t0" ;;
    seqread_cold)
      drop_caches; t0=$(now_ns)
      dd if="$MNT/big" of=/dev/null bs=1M status=none || return 1
      ms_since "$t0" ;;
    copyup_256m)
      t0=$(now_ns)
      printf x >>"$MNT/mid" || return 1
      ms_since "$t0" ;;
    chmod_1000)
      t0=$(now_ns)
      (cd "$MNT/many" && chmod 600 f*) || return 1
      ms_since "$t0" ;;
    create_10k)
      mkdir "$MNT/new" || return 1
      t0=$(now_ns)
      for ((i = 0; i < 10000; i++)); do printf x >"$MNT/new/f$i" || return 1; done
      ms_since "$t0" ;;
    untar)
      mkdir "$MNT/untar" || return 1
      t0=$(now_ns)
      tar -C "$MNT/untar" -xf "$BD/untar.tar" || return 1
      ms_since "$t0" ;;
    rmrf_lower)
      t0=$(now_ns)
      rm -rf "$MNT/usr/share/doc" || return 1
      ms_since "$t0"
      [[ ! -e "$MNT/usr/share/doc" ]] || { log "rm -rf left files"; return 1; } ;;
    chroot_exec_ms)
      chroot "$MNT" /bin/busybox true || return 1
      t0=$(now_ns)
      for ((i = 0; i < CHROOT_N; i++)); do chroot "$MNT" /bin/busybox true || return 1; done
      VALUE=$(awk -v a="$t0" -v b="$(now_ns)" -v n="$CHROOT_N" 'BEGIN{printf "%.3f", (b-a)/1e6/n}'); UNIT=ms ;;
    *) die "unknown workload $w" ;;
  esac
  return 0
}

record() {  # record WORKLOAD SYSTEM VALUE UNIT
  echo "$1,$2,$REP,$3,$4" >>"$CSV"
}

# ------------------------------------------------------------------ main
mkdir -p "$BD"
if [[ -n "${BENCH_FS:-}" ]]; then
  case "$BENCH_FS" in
    ext4) IMG="${BENCH_IMG:-/var/tmp/stratafs-bench.img}"; MKFS=(mkfs.ext4 -q -F) ;;
    # reflink=1 is mkfs.xfs's default since xfsprogs 5.1; said here so that an older one agrees.
    xfs) IMG="${BENCH_IMG:-/var/tmp/stratafs-bench-xfs.img}"; MKFS=(mkfs.xfs -q -f -m reflink=1) ;;
    btrfs) IMG="${BENCH_IMG:-/var/tmp/stratafs-bench-btrfs.img}"; MKFS=(mkfs.btrfs -q -f) ;;
    *) die "BENCH_FS: one of ext4, xfs, btrfs" ;;
  esac
  command -v "${MKFS[0]}" >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y \
    "$( [[ $BENCH_FS == xfs ]] && echo xfsprogs || { [[ $BENCH_FS == btrfs ]] && echo btrfs-progs || echo e2fsprogs; } )" >/dev/null \
    || die "cannot install ${MKFS[0]}"
  is_mounted "$BD" && die "$BD is already a mount point"
  if [[ ! -f "$IMG" ]]; then
    log "making a fresh $BENCH_FS in $IMG"
    truncate -s 8G "$IMG" && "${MKFS[@]}" "$IMG" || { rm -f "$IMG"; die "${MKFS[0]} of $IMG failed"; }
  fi
  mount -o loop "$IMG" "$BD" || die "cannot loop-mount $IMG on $BD"
  LOOPFS="$BD"
  # The raw numbers must outlive the unmount.
  [[ -n "${BENCH_CSV:-}" ]] || CSV="${IMG%.img}-results.csv"
  log "fixtures on $(findmnt -n -o SOURCE,FSTYPE,OPTIONS "$BD")"
fi
gen_fixtures
# Read every layer file once, untimed: the VM's disk may be cached by the host, and the first
# system to read a file cold would otherwise pay for everyone (drop_caches only empties ours).
log "pre-reading the layers once"
T_READ=$(date +%s)
rm -rf "$BD/run" "$BD/trash"   # a previous run's leftovers: deleted now, then let them age (see do_mount)
find "$BD/layers" -type f -print0 | xargs -0 cat >/dev/null
while (($(date +%s) - T_READ < 31)); do sleep 1; done
echo "workload,system,rep,value,unit" >"$CSV"
# One untimed mount per system first: the stratafs launcher trains its AppCDS archive on the
# first start after a build, which is not what mount_ms is about.
REP=0
for sys in $SYSTEMS; do
  do_mount "$sys" rootfs && ls "$MNT" >/dev/null || log "warm-up mount of $sys failed"
  do_umount
done
log "systems: $SYSTEMS; repetitions: $REPS; workloads: $WORKLOADS"
for ((REP = 1; REP <= REPS; REP++)); do
  for w in $WORKLOADS; do
    for sys in $SYSTEMS; do
      VALUE=""
      if run_workload "$w" "$sys"; then
        record "$w" "$sys" "$VALUE" "$UNIT"
        log "rep $REP $w $sys: $VALUE $UNIT"
      else
        record "$w" "$sys" NA ms
        log "rep $REP $w $sys: FAILED"
      fi
      do_umount
    done
  done
done

# Medians and ratios (value / kernel, value / fuse-overlayfs; lower is better for every row).
python3 - "$CSV" "$SYSTEMS" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
systems = sys.argv[2].split()
order, vals, units = [], {}, {}
for r in rows:
    w = r["workload"]
    if w not in order: order.append(w)
    units[w] = r["unit"]
    if r["value"] != "NA":
        vals.setdefault((w, r["system"]), []).append(float(r["value"]))
def med(w, s):
    v = vals.get((w, s))
    return statistics.median(v) if v else None
hdr = ["workload", "unit"] + ["%s (median)" % s for s in systems]
others = [s for s in systems if s != "kernel"]
ratio_cols = [(s, b) for s in others for b in ("kernel", "fuse-overlayfs") if b in systems and b != s]
hdr += ["%s/%s" % (s, b) for s, b in ratio_cols]
out = [hdr]
for w in order:
    line = [w, units[w]]
    for s in systems:
        m = med(w, s); line.append("-" if m is None else ("%.0f" % m if m >= 100 else "%.3g" % m))
    for s, b in ratio_cols:
        a, c = med(w, s), med(w, b)
        line.append("%.2fx" % (a / c) if a is not None and c else "-")
    out.append(line)
widths = [max(len(r[i]) for r in out) for i in range(len(hdr))]
print("| " + " | ".join(h.ljust(widths[i]) for i, h in enumerate(hdr)) + " |")
print("|" + "|".join("-" * (wd + 2) for wd in widths) + "|")
for r in out[1:]:
    print("| " + " | ".join(c.ljust(widths[i]) for i, c in enumerate(r)) + " |")
n = {s: sum(len(vals.get((w, s), [])) for w in order) for s in systems}
print("\nsamples per system: " + ", ".join("%s %d" % kv for kv in n.items()) + "; raw: " + sys.argv[1])
PY
