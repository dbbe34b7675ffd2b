#!/usr/bin/env bash
# Everything the project tests: provisions the machine (as root, or through sudo), runs
# `mvn -B verify` from the repository root (unit tests and the failsafe ITs, which mount), and
# checks the Vagrantfile's Ruby syntax. Exits non-zero on any failure.
#   MVN_ARGS   extra Maven arguments, e.g. MVN_ARGS=-o for an offline build
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ $(id -u) -eq 0 ]]; then
    scripts/provision.sh
elif command -v sudo >/dev/null 2>&1; then
    sudo scripts/provision.sh
else
    echo "test.sh: not root and no sudo: skipping provisioning" >&2
fi

# shellcheck disable=SC2086 # MVN_ARGS holds several words on purpose
mvn -B ${MVN_ARGS:-} verify

if command -v ruby >/dev/null 2>&1; then
    ruby -c Vagrantfile >/dev/null
    echo "test.sh: Vagrantfile syntax OK"
fi
echo "test.sh: all tests passed"
