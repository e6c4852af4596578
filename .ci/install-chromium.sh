#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium for the browser test
# (test/e2e/browser.e2e.ts drives it through playwright-core; no browser download).
# Idempotent: does nothing when it is already installed. Needs root (or sudo) and apt.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

version() { "$CHROMIUM" --version 2>/dev/null; }

if [[ -x "$CHROMIUM" ]] && version >/dev/null; then
  echo "[ci] chromium: $(version)"
  exit 0
fi

SUDO=""
if [[ "$(id -u)" -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "[ci] chromium: not installed and not root (no sudo)" >&2; exit 1; }
  SUDO=sudo
fi

echo "[ci] chromium: installing Debian's chromium package"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o Acquire::Retries=3 update -qq
# fonts-dejavu-core: readable screenshots on a machine without fonts.
$SUDO apt-get -o Acquire::Retries=3 install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null

if ! version >/dev/null; then
  echo "[ci] chromium: installed, but $CHROMIUM --version fails" >&2
  exit 1
fi
echo "[ci] chromium: $(version)"
