#!/usr/bin/env bash
# Install a built Fireside for the current user, so it is in the application menu and
# opens by double-click; no root needed, nothing outside ~/.local is touched.
#
#   install.sh [BUNDLE]      BUNDLE: the one-folder app (the folder holding `Fireside`);
#                            default: the folder this script is in if it holds one (an
#                            unpacked release), else dist/Fireside of this checkout
#   install.sh --uninstall   remove what install.sh put in place (never your chats or
#                            models: those live in ~/.local/share/Fireside)
#
# It puts the bundle in ~/.local/opt/fireside, a launcher in ~/.local/bin/fireside, the menu
# entry in ~/.local/share/applications/fireside.desktop and the icon at each size in
# ~/.local/share/icons/hicolor/<size>/apps/fireside.png (XDG_DATA_HOME moves the last two).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
data_home=${XDG_DATA_HOME:-$HOME/.local/share}
opt=$HOME/.local/opt/fireside
bin=$HOME/.local/bin
applications=$data_home/applications
icons=$data_home/icons/hicolor
sizes=(16 24 32 48 64 128 256 512)

refresh_caches() {
  if command -v update-desktop-database >/dev/null; then
    update-desktop-database -q "$applications" || true
  fi
  if command -v gtk-update-icon-cache >/dev/null; then
    gtk-update-icon-cache -q -f -t "$icons" || true
  fi
}

if [ "${1:-}" = "--uninstall" ]; then
  rm -rf "$opt"
  rm -f "$applications/fireside.desktop"
  [ -L "$bin/fireside" ] && rm -f "$bin/fireside"
  for size in "${sizes[@]}"; do rm -f "$icons/${size}x${size}/apps/fireside.png"; done
  rm -f "$icons/scalable/apps/fireside.svg"
  refresh_caches
  echo "Fireside is uninstalled. Your chats, models and settings are still in" \
    "${XDG_DATA_HOME:-$HOME/.local/share}/Fireside and ${XDG_CONFIG_HOME:-$HOME/.config}/Fireside."
  exit 0
fi

if [ $# -ge 1 ]; then
  bundle=$1
elif [ -x "$here/Fireside" ]; then
  bundle=$here
else
  bundle=$here/../../dist/Fireside
fi
if [ ! -x "$bundle/Fireside" ]; then
  echo "No Fireside app in $bundle (build one with packaging/build)." >&2
  exit 1
fi
bundle=$(cd "$bundle" && pwd)
template=$here/fireside.desktop
[ -f "$template" ] || template=$bundle/fireside.desktop
resources=$bundle/_internal/resources/icons
if [ ! -f "$template" ] || [ ! -d "$resources" ]; then
  echo "The menu entry or the icons are missing next to $bundle." >&2
  exit 1
fi

# Copy into place beside the old version, then swap, so a failed copy leaves it working.
if [ "$bundle" != "$opt" ]; then
  mkdir -p "$(dirname "$opt")"
  rm -rf "$opt.new"
  cp -a "$bundle" "$opt.new"
  rm -rf "$opt"
  mv "$opt.new" "$opt"
fi

mkdir -p "$bin"
ln -sfn "$opt/Fireside" "$bin/fireside"

mkdir -p "$applications"
sed "s|@EXEC@|$opt/Fireside|g" "$template" >"$applications/fireside.desktop"
chmod 644 "$applications/fireside.desktop"

for size in "${sizes[@]}"; do
  install -Dm644 "$resources/fireside-$size.png" "$icons/${size}x${size}/apps/fireside.png"
done
install -Dm644 "$resources/fireside.svg" "$icons/scalable/apps/fireside.svg"

if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "$applications/fireside.desktop" || true
fi
refresh_caches
echo "Fireside is installed in $opt and in your application menu."
case ":$PATH:" in
  *":$bin:"*) echo "From a terminal: fireside" ;;
  *) echo "From a terminal: $bin/fireside (add $bin to PATH to type just fireside)" ;;
esac
