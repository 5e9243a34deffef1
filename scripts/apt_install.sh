#!/usr/bin/env bash
# Install a Debian package a make target needs, where this machine allows it: as root, or
# through sudo where sudo asks no password (a CI runner). Elsewhere print one line saying what
# to install, and succeed: the target that needs the program says so again when it runs.
# Usage: scripts/apt_install.sh COMMAND PACKAGE "what it is for"
set -u
command_name=$1 package=$2 purpose=$3
command -v "$command_name" >/dev/null 2>&1 && exit 0
sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo=none; fi
fi
if [ "$sudo" = none ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "note: $command_name is not installed: $purpose needs it (Debian/Ubuntu: sudo apt-get install $package)"
  exit 0
fi
echo "installing $package ($purpose)"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -qq "$package" >/dev/null 2>&1 ||
  { $sudo apt-get update -qq && $sudo apt-get install -y -qq "$package" >/dev/null; } ||
  { echo "note: could not install $package: $purpose needs it (sudo apt-get install $package)"; exit 0; }
