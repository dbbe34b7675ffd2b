#!/usr/bin/env bash
# stratafs on a built-in sample: three lower layers and an upper, mounted with scripts/stratafs.
# Shows the merged view, a copy-up, a whiteout, and what lands in the upper layer. Needs root
# (or a user allowed to mount FUSE) and the packages from scripts/provision.sh.
#
#   layer3 (bottom)          layer2                       layer1 (top)
#   etc/os-release  "v3"     etc/os-release  "v2"         etc/motd  "hello from layer1"
#   etc/hosts                .wh.hosts (AUFS whiteout)    app/config "top"
#   app/config  "old"        app/ has .wh..wh..opq        data/readme
#   app/old-plugin           app/new-plugin
#   data/readme "bottom"
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$repo"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

if ! compgen -G "fuse-mount/target/fuse-mount-*.jar" >/dev/null || [[ ! -d fuse-mount/target/lib ]]; then
    say "building (mvn -B -DskipTests package)"
    mvn -B -q -DskipTests package
fi

tmp=$(mktemp -d /tmp/stratafs-demo.XXXXXX)
mnt=$tmp/merged
cleanup() {
    if grep -q " $mnt " /proc/self/mountinfo 2>/dev/null; then
        fusermount -u "$mnt" 2>/dev/null || fusermount3 -u "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

say "making a three-layer sample in $tmp"
l1=$tmp/layer1 l2=$tmp/layer2 l3=$tmp/layer3 up=$tmp/upper wk=$tmp/work
mkdir -p "$l1"/{etc,app,data} "$l2"/{etc,app} "$l3"/{etc,app,data} "$up" "$wk" "$mnt"
echo 'VERSION="v3"' > "$l3/etc/os-release"
echo '127.0.0.1 localhost' > "$l3/etc/hosts"
echo 'old' > "$l3/app/config"
echo 'plugin from layer3' > "$l3/app/old-plugin"
echo 'bottom' > "$l3/data/readme"
echo 'VERSION="v2"' > "$l2/etc/os-release"
: > "$l2/etc/.wh.hosts"              # AUFS/OCI whiteout: hides layer3's etc/hosts
: > "$l2/app/.wh..wh..opq"           # opaque: layer3's app/ is not merged in
echo 'plugin from layer2' > "$l2/app/new-plugin"
echo 'hello from layer1' > "$l1/etc/motd"
echo 'top' > "$l1/app/config"
echo 'readme from layer1' > "$l1/data/readme"
run find "$tmp"/layer1 "$tmp"/layer2 "$tmp"/layer3 -mindepth 1 | sed "s|$tmp/||" | sort

say "mounting"
run scripts/stratafs -o "lowerdir=$l1:$l2:$l3,upperdir=$up,workdir=$wk" "$mnt"
run grep " $mnt " /proc/self/mountinfo

say "the merged view: etc/hosts is whited out, app/ shows only layers 1-2, os-release from layer2"
(cd "$mnt" && run find . -mindepth 1 | sort)
run ls -l "$mnt/etc" "$mnt/app"
run cat "$mnt/etc/os-release" "$mnt/app/config" "$mnt/data/readme"

say "writing to a lower file copies it up; deleting a lower file leaves a whiteout"
append() { printf '$ echo %q >> %s\n' "$1" "$2"; echo "$1" >> "$2"; }
append 'VERSION="v2-patched"' "$mnt/etc/os-release"
run rm "$mnt/app/new-plugin"
run mkdir "$mnt/logs"
append 'new file' "$mnt/logs/today"
run cat "$mnt/etc/os-release"
run ls -la "$mnt/app"
run cat "$l2/etc/os-release"    # the lower layer is untouched

say "what landed in the upper layer (kernel overlayfs format)"
(cd "$up" && run find . -mindepth 1 | sort)
run ls -la "$up/app"             # new-plugin: character device 0,0 = whiteout
run getfattr -R -d -m - "$up" 2>/dev/null || true

say "unmounting"
run fusermount -u "$mnt"
for _ in $(seq 50); do grep -q " $mnt " /proc/self/mountinfo || break; sleep 0.1; done
if grep -q " $mnt " /proc/self/mountinfo; then echo "still mounted!" >&2; exit 1; fi
# The daemon exits by itself once its FUSE connection closes (no signal needed).
for _ in $(seq 50); do pgrep -f -- "-o lowerdir=$l1" >/dev/null || break; sleep 0.1; done
if pgrep -f -- "-o lowerdir=$l1" >/dev/null; then echo "the daemon is still running!" >&2; exit 1; fi
echo "unmounted; the daemon has exited"
say "demo done"
