#!/usr/bin/env bash
# Install IOP Desk for every user of this workstation (run as root from the unpacked tarball):
#   /opt/iopdesk/          the program (replaced as a whole on upgrade)
#   /usr/local/bin/iopdesk the command
#   /usr/share/applications/iopdesk.desktop and the icon, for the desktop's menu
# Clinic data is never here: each user's clinic lives in ~/.local/share/IOPDesk (or on the
# clinic server), so upgrading or uninstalling leaves it alone.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "install.sh: run as root (sudo ./install.sh)"; exit 1; }
here="$(cd "$(dirname "$0")" && pwd)"
prefix="${PREFIX:-/opt/iopdesk}"
rm -rf "$prefix.new"
cp -a "$here/IOPDesk" "$prefix.new"
rm -rf "$prefix"
mv "$prefix.new" "$prefix"
ln -sf "$prefix/iopdesk" /usr/local/bin/iopdesk
sed "s|/opt/iopdesk|$prefix|" "$here/iopdesk.desktop" > /usr/share/applications/iopdesk.desktop
install -Dm644 "$here/iopdesk.svg" /usr/share/icons/hicolor/scalable/apps/iopdesk.svg
command -v update-desktop-database >/dev/null && update-desktop-database -q /usr/share/applications || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q /usr/share/icons/hicolor || true
"$prefix/iopdesk" --version
echo "Installed in $prefix. Check it with: iopdesk --self-test"
