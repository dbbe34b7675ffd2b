#!/usr/bin/env bash
# Installs /usr/local/bin/stratafs (or $PREFIX/bin/stratafs): a small wrapper that runs this
# repository's launcher, so the built tree stays where it is. Builds first if needed. Run as root.
# Afterwards podman can use it:  --storage-opt overlay.mount_program=/usr/local/bin/stratafs
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
prefix=${PREFIX:-/usr/local}
dest=$prefix/bin/stratafs

if ! compgen -G "$repo/fuse-mount/target/fuse-mount-*.jar" >/dev/null || [[ ! -d $repo/fuse-mount/target/lib ]]; then
    (cd "$repo" && mvn -B -q -DskipTests package)
fi

mkdir -p "$prefix/bin"
tmp=$(mktemp "$prefix/bin/.stratafs.XXXXXX")
cat > "$tmp" <<EOF
#!/bin/sh
# stratafs: runs the build in $repo (installed by scripts/install.sh)
exec "$repo/scripts/stratafs" "\$@"
EOF
chmod 0755 "$tmp"
mv -f "$tmp" "$dest"
echo "installed $dest -> $repo/scripts/stratafs"
"$dest" --version
