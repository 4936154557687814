#!/usr/bin/env bash
# Installs promtool (Debian's prometheus package) for the alert rules test
# (test/integration/prometheus-rules.test.ts). Never fails the build: where it cannot install,
# it says why and the test skips itself with a message naming the missing promtool.
set -euo pipefail

PROMTOOL=/usr/bin/promtool

if [[ -x "$PROMTOOL" ]]; then
  echo "install-promtool: $PROMTOOL is already installed"
  exit 0
fi
if [[ "$(id -u)" -ne 0 ]]; then
  echo "install-promtool: not root, so promtool cannot be installed; the alert rules test will be skipped"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-promtool: no apt-get here, so promtool cannot be installed; the alert rules test will be skipped"
  exit 0
fi

# Only promtool is wanted: the package's postinst would start a Prometheus server on :9090.
# A policy-rc.d that answers 101 tells invoke-rc.d (and deb-systemd-invoke) not to start it;
# keep the host's own if it has one, else put one there for this install only.
POLICY=/usr/sbin/policy-rc.d
if [[ ! -e "$POLICY" ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
  trap 'rm -f "$POLICY"' EXIT
fi

echo "install-promtool: installing Debian's prometheus for promtool (its server is not started)"
export DEBIAN_FRONTEND=noninteractive
if apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus >/dev/null; then
  # Under systemd the unit is enabled at install; a test host needs the binary only.
  if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
  echo "install-promtool: installed $("$PROMTOOL" --version 2>&1 | head -n 1)"
else
  echo "install-promtool: apt-get could not install prometheus; the alert rules test will be skipped"
fi
