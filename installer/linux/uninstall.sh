#!/usr/bin/env bash
# Remove the IOP Desk program (run as root). Clinic data, backups and logs in each user's
# ~/.local/share/IOPDesk and ~/.local/state/IOPDesk are kept: delete them by hand only after
# the clinic's records have been moved or their retention period has passed.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "uninstall.sh: run as root"; exit 1; }
prefix="${PREFIX:-/opt/iopdesk}"
rm -rf "$prefix"
rm -f /usr/local/bin/iopdesk /usr/share/applications/iopdesk.desktop \
      /usr/share/icons/hicolor/scalable/apps/iopdesk.svg
echo "IOP Desk removed from $prefix; clinic data in users' home folders was kept."
