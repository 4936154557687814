#!/usr/bin/env bash
# Installs Debian's Chromium for the browser test (test/e2e/admin-page.test.ts), which drives
# it through playwright-core. Never fails the build: where it cannot install, it says why and
# the test skips itself with a message naming the missing browser.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [[ -x "$CHROMIUM" ]]; then
  echo "install-browser: $CHROMIUM is already installed"
  exit 0
fi
if [[ "$(id -u)" -ne 0 ]]; then
  echo "install-browser: not root, so Chromium cannot be installed; the browser test will be skipped"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: no apt-get here, so Chromium cannot be installed; the browser test will be skipped"
  exit 0
fi

echo "install-browser: installing Debian's chromium"
export DEBIAN_FRONTEND=noninteractive
if apt-get update -qq && apt-get install -y -qq chromium >/dev/null; then
  echo "install-browser: installed $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
else
  echo "install-browser: apt-get could not install chromium; the browser test will be skipped"
fi
