#!/usr/bin/env bash
# Installs what a make target needs and this machine lacks, saying what it installs.
# Never prompts: as root it runs apt-get; otherwise `sudo -n` (no password prompt);
# if neither works it prints the command to run and fails.
#
#   scripts/deps.sh test      Node.js and Python 3 with venv, for the SDK tests
#   scripts/deps.sh desktop   WebKitGTK and friends for the Tauri window (Debian/Ubuntu)
#   scripts/deps.sh keyring   GNOME Keyring and D-Bus, for the real OS-keyring test
#   scripts/deps.sh bench     wrk, the load generator
#   scripts/deps.sh xvfb      a virtual display, xdotool and ImageMagick for the window smoke test
#   scripts/deps.sh browser   Debian's Chromium for the UI tests
#   scripts/deps.sh lint      cargo-deny and cargo-machete, from crates.io
set -euo pipefail

DESKTOP_PKGS=(libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev
  libssl-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev libxdo-dev build-essential pkg-config file)

missing() {
  local pkg out=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || out+=("$pkg")
  done
  echo "${out[@]:-}"
}

apt_install() {
  local need
  need=$(missing "$@")
  [ -z "$need" ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "Phonebox needs these packages (names as on Debian/Ubuntu): $need" >&2
    echo "This is not a Debian/Ubuntu system: install their equivalents and run make again." >&2
    exit 1
  fi
  echo "Installing with apt-get: $need"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      echo "Root is needed to install them. Run this once, then make again:" >&2
      echo "  sudo apt-get install -y --no-install-recommends $need" >&2
      exit 1
    fi
  fi
  # The package lists may be missing on a fresh machine.
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -print -quit 2>/dev/null)" ]; then
    "${sudo[@]}" apt-get update -qq
  fi
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends $need \
    || { "${sudo[@]}" apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends $need; }
}

need_cargo() {
  command -v cargo >/dev/null 2>&1 && return 0
  echo "cargo (Rust) is not installed: see https://rustup.rs, then run make again." >&2
  exit 1
}

case "${1:-}" in
  test)
    need_cargo
    if ! command -v node >/dev/null 2>&1; then apt_install nodejs npm; fi
    major=$(node -p 'process.versions.node.split(".")[0]')
    if [ "$major" -lt 18 ]; then
      echo "Node.js $major is too old for the SDK tests (they need 18+, for fetch)." >&2
      exit 1
    fi
    # auth0-python runs in a venv of its own; Debian splits venv (and ensurepip) out.
    if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then apt_install python3 python3-venv; fi
    ;;
  desktop) need_cargo; apt_install "${DESKTOP_PKGS[@]}" ;;
  keyring)
    # The real OS-keyring test: GNOME Keyring's Secret Service on a private D-Bus.
    command -v dbus-run-session >/dev/null 2>&1 || apt_install dbus
    command -v gnome-keyring-daemon >/dev/null 2>&1 || apt_install gnome-keyring
    ;;
  bench) need_cargo; command -v wrk >/dev/null 2>&1 || apt_install wrk ;;
  xvfb) apt_install xvfb xauth x11-utils xdotool imagemagick ;;
  browser)
    if [ -x "${PHONEBOX_CHROMIUM:-/usr/bin/chromium}" ]; then exit 0; fi
    apt_install chromium
    ;;
  lint)
    need_cargo
    # Pinned, so every machine checks with the same rules.
    for tool in cargo-deny@0.20.2 cargo-machete@0.9.2; do
      name=${tool%@*} version=${tool#*@}
      if ! "$name" --version 2>/dev/null | grep -q "$version"; then
        echo "Installing $name $version from crates.io"
        cargo install --locked --quiet "$name" --version "$version"
      fi
    done
    ;;
  has-desktop)
    # Exit 0 when the desktop crate can be built here without installing anything.
    [ -z "$(missing "${DESKTOP_PKGS[@]}")" ]
    ;;
  *) echo "usage: $0 test|desktop|bench|xvfb|browser|lint|has-desktop" >&2; exit 2 ;;
esac
