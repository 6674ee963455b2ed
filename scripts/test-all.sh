#!/usr/bin/env bash
# Installs what the tests need on a Debian machine (as root) and runs every test:
# typecheck, lint, unit tests and the end-to-end tests with real NFS and SMB clients, a real
# PostgreSQL, s3rver (an S3 server) and Chromium (the settings UI).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v nfs-ls >/dev/null || need+=(libnfs-utils)
[ -f /usr/include/nfsc/libnfs.h ] || need+=(libnfs-dev)
command -v gcc >/dev/null || need+=(gcc libc6-dev)
command -v make >/dev/null || need+=(make)
command -v g++ >/dev/null || need+=(g++)
# The portmapper e2e test runs the server on port 111 in a private network namespace.
command -v ip >/dev/null || need+=(iproute2)
command -v unshare >/dev/null || need+=(util-linux)
# The SMB tests drive Samba's client and its conformance suite.
command -v smbclient >/dev/null || need+=(smbclient)
command -v smbtorture >/dev/null || need+=(samba-testsuite)
# A user-level SMB mount, as a Linux desktop makes it: gvfs over FUSE on a private D-Bus.
[ -x /usr/libexec/gvfsd-smb ] && [ -x /usr/libexec/gvfsd-fuse ] || need+=(gvfs gvfs-backends gvfs-fuse dbus dbus-x11)
# The desktop app keeps secrets in the Secret Service: gnome-keyring on a private D-Bus.
command -v gnome-keyring-daemon >/dev/null || need+=(gnome-keyring)
command -v dbus-daemon >/dev/null || need+=(dbus)
# The settings UI's tests drive Debian's Chromium through playwright-core (never its own browser download).
[ -x /usr/bin/chromium ] || need+=(chromium)
# The PostgreSQL metadata store's tests start a private cluster (s3rver comes from npm).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi

npm ci --no-audit --no-fund
npm run typecheck
npm run lint
npx vitest run
