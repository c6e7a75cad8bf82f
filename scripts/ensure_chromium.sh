#!/usr/bin/env bash
# The browser tests drive Debian's Chromium; install it when missing.
set -euo pipefail
command -v chromium >/dev/null 2>&1 && exit 0
echo "Installing Debian's chromium for the browser tests"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null
