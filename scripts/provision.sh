#!/usr/bin/env bash
# Installs what stratafs needs to build, run and test on Debian 12 / Ubuntu 22.04+ (run as root).
# Idempotent and quiet: only missing packages are installed, and apt-get update runs at most once.
# Shared by README's quick start, scripts/test.sh, .ci/run and the Vagrantfile.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
    echo "provision.sh: run as root (sudo $0)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

updated=0
apt_update_once() {
    if [[ $updated -eq 0 ]]; then
        apt-get -qq update
        updated=1
    fi
}
# The first name that apt knows (Ubuntu 24.04 renamed libfuse2 to libfuse2t64).
first_available() {
    local p
    for p in "$@"; do
        have_pkg "$p" && { echo "$p"; return; }
    done
    apt_update_once
    for p in "$@"; do
        if apt-cache show "$p" >/dev/null 2>&1; then echo "$p"; return; fi
    done
    echo "$1"
}

want=(maven fuse3 attr fuse-overlayfs umoci skopeo runc busybox-static podman uidmap ruby psmisc xfsprogs btrfs-progs
      util-linux procps ca-certificates)

# A JDK 17 or newer: keep one that is there, else install OpenJDK 17.
javac_major() { javac -version 2>&1 | sed -nE 's/^javac ([0-9]+).*/\1/p'; }
if ! command -v javac >/dev/null 2>&1 || [[ $(javac_major) -lt 17 ]]; then
    want+=(openjdk-17-jdk-headless)
fi

# The path engine (jnr-fuse) talks to libfuse 2 (libfuse.so.2).
if ! ldconfig -p 2>/dev/null | grep -q 'libfuse\.so\.2'; then
    want+=("$(first_available libfuse2 libfuse2t64)")
fi
# The default engine talks to libfuse 3 (libfuse3.so.3); fuse3 pulls it in, but name it so that
# a host with fuse3's tools from elsewhere still gets the library.
if ! ldconfig -p 2>/dev/null | grep -q 'libfuse3\.so\.3'; then
    want+=("$(first_available libfuse3-3 libfuse3-4)")
fi

missing=()
for p in "${want[@]}"; do
    have_pkg "$p" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    apt_update_once
    echo "provision.sh: installing ${missing[*]}"
    # dpkg's lock may be held by another apt run (unattended upgrades): wait for it.
    apt-get -qq -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "${missing[@]}" >/dev/null
fi

# Maven runs on `java` and compiles with that JDK's compiler: java must belong to a JDK 17+
# with javac (Maven's dependency default-jre-headless may have brought a newer JRE alone).
jdk17=/usr/lib/jvm/java-17-openjdk-$(dpkg --print-architecture)
if [[ $(javac_major) -lt 17 ]] && [[ -x $jdk17/bin/javac ]]; then
    update-alternatives --set javac "$jdk17/bin/javac" >/dev/null
fi
javac_home=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
if [[ $(readlink -f "$(command -v java)") != "$javac_home/bin/java" ]] && [[ -x $javac_home/bin/java ]]; then
    update-alternatives --set java "$javac_home/bin/java" >/dev/null 2>&1 || true
fi

# FUSE needs /dev/fuse; a minimal VM may not have loaded the module yet.
if [[ ! -e /dev/fuse ]]; then
    modprobe fuse 2>/dev/null || true
fi
if [[ ! -e /dev/fuse ]]; then
    mknod -m 0666 /dev/fuse c 10 229 2>/dev/null || true
fi
[[ -e /dev/fuse ]] || { echo "provision.sh: /dev/fuse is missing and could not be created" >&2; exit 1; }

# allow_other is used for root mounts only; let non-root users ask for it too (fuse(8)).
if [[ -f /etc/fuse.conf ]] && ! grep -q '^user_allow_other' /etc/fuse.conf; then
    echo user_allow_other >> /etc/fuse.conf
fi

echo "provision.sh: ready ($(java -version 2>&1 | head -1), $(mvn -v 2>/dev/null | head -1 | sed 's/\x1b\[[0-9;]*m//g'))"
