#!/usr/bin/env bash
# Installs whichever of the Debian packages named on the command line are missing: with
# apt-get as root, through sudo otherwise; when neither can work it says what to run and fails.
# Packages already installed cost nothing (no apt-get update, no root needed).
set -euo pipefail

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "ensure-debian-packages: this is not a Debian-like system; install the equivalents of: $*" >&2
    exit 1
fi

missing=()
for package in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "installing missing Debian packages: ${missing[*]}"
if [[ $(id -u) -eq 0 ]]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "ensure-debian-packages: missing ${missing[*]}, and installing them needs root; run: su -c 'apt-get update && apt-get install -y ${missing[*]}'" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! "${as_root[@]}" apt-get update -qq || ! "${as_root[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null; then
    echo "ensure-debian-packages: could not install ${missing[*]}; run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
