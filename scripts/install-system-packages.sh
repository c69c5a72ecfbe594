#!/usr/bin/env bash
# Installs the Debian packages TeamInbox needs to run its demo and its tests,
# only when they are missing. Uses sudo when not run as root.
set -euo pipefail

packages=("$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The packages start a system-wide Dovecot on the standard ports; TeamInbox
# runs its own private one, so the system one is not needed.
if printf '%s\n' "${missing[@]}" | grep -q '^dovecot'; then
  $sudo systemctl disable --now dovecot >/dev/null 2>&1 || $sudo service dovecot stop >/dev/null 2>&1 || true
fi
