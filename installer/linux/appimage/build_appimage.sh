#!/usr/bin/env bash
# Build IOP Desk-VERSION-ARCH.AppImage from a built bundle (after `make bundle`).
# Needs appimagetool (https://github.com/AppImage/appimagetool) on PATH; it is not a project
# dependency. Usage: installer/linux/appimage/build_appimage.sh dist/IOPDesk dist
#
# AppDir layout:
#   AppRun                         -> usr/lib/iopdesk/iopdesk "$@"
#   iopdesk.desktop, iopdesk.svg   (the desktop entry with Exec=iopdesk, and the icon)
#   usr/lib/iopdesk/               the PyInstaller bundle
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
bundle="${1:?usage: build_appimage.sh BUNDLE_DIR OUT_DIR}"
out="$(cd "${2:?usage: build_appimage.sh BUNDLE_DIR OUT_DIR}" && pwd)"
command -v appimagetool >/dev/null || { echo "build_appimage.sh: appimagetool is not on PATH"; exit 1; }
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/pyproject.toml" | head -1)"
appdir="$(mktemp -d)/IOPDesk.AppDir"
trap 'rm -rf "$(dirname "$appdir")"' EXIT
mkdir -p "$appdir/usr/lib"
cp -a "$bundle" "$appdir/usr/lib/iopdesk"
cp "$here/AppRun" "$appdir/AppRun"
sed 's|^Exec=.*|Exec=iopdesk|' "$here/../iopdesk.desktop" > "$appdir/iopdesk.desktop"
cp "$root/resources/icons/iopdesk.svg" "$appdir/iopdesk.svg"
ARCH="$(uname -m)" VERSION="$version" appimagetool --no-appstream "$appdir" "$out/IOP_Desk-$version-$(uname -m).AppImage"
