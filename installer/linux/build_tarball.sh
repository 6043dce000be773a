#!/usr/bin/env bash
# Pack a built bundle into iopdesk-VERSION-linux-ARCH.tar.gz with its .desktop entry, icon,
# install.sh and uninstall.sh. Usage: installer/linux/build_tarball.sh dist/IOPDesk dist
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bundle="${1:?usage: build_tarball.sh BUNDLE_DIR OUT_DIR}"
out="${2:?usage: build_tarball.sh BUNDLE_DIR OUT_DIR}"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/pyproject.toml" | head -1)"
name="iopdesk-$version-linux-$(uname -m)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name"
cp -a "$bundle" "$stage/$name/IOPDesk"
cp "$here/iopdesk.desktop" "$here/install.sh" "$here/uninstall.sh" "$stage/$name/"
cp "$root/resources/icons/iopdesk.svg" "$stage/$name/iopdesk.svg"
chmod +x "$stage/$name/install.sh" "$stage/$name/uninstall.sh"
tar -C "$stage" -czf "$out/$name.tar.gz" "$name"
echo "tarball: $out/$name.tar.gz ($(du -h "$out/$name.tar.gz" | cut -f1))"
