#!/usr/bin/env bash
# Fetches Debian's stock kernel and busybox-static, unpacks them and builds the lab initramfs, once per kernel version.
#
# Prints the path of a complete cache entry (a directory holding vmlinuz, initramfs.cpio.gz and root/lib/modules).
# A cache entry counts only when its .complete stamp exists and the checksums in it still match: anything else
# (an interrupted download or unpack, a truncated file) is removed and rebuilt, with a message saying so.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE_ROOT=${UX_TUNNEL_LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ux-tunnel-lab}
# Modules the initramfs loads before it can mount the host's root filesystem; their dependencies are resolved by modprobe.
BOOT_MODULES=(virtio_pci 9pnet_virtio 9p overlay)

say() { echo "[lab] $*" >&2; }
die() { echo "[lab] error: $*" >&2; exit 1; }

# The kernel package that linux-image-amd64 depends on right now, e.g. linux-image-6.1.0-56-amd64.
current_kernel_package() {
  local pkg
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  if [ -z "$pkg" ]; then
    apt-get update -qq >&2 2>/dev/null || true
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  fi
  echo "$pkg"
}

entry_is_complete() {
  local dir=$1
  [ -f "$dir/.complete" ] || return 1
  (cd "$dir" && sha256sum --quiet --check .complete >/dev/null 2>&1)
}

newest_complete_entry() {
  local d
  for d in $(ls -1dt "$CACHE_ROOT"/linux-image-* 2>/dev/null); do
    if entry_is_complete "$d"; then echo "$d"; return 0; fi
  done
  return 1
}

build_initramfs() {
  local entry=$1 kver=$2 stage
  stage=$(mktemp -d "$entry/initramfs.XXXXXX")
  mkdir -p "$stage"/{bin,dev,proc,sys,host,upper,newroot,modules}
  cp "$entry/root/bin/busybox" "$stage/bin/busybox"
  cp "$LAB_DIR/guest-init.sh" "$stage/init"
  chmod 755 "$stage/init" "$stage/bin/busybox"
  local m path
  : > "$stage/modules/load-order"
  for m in "${BOOT_MODULES[@]}"; do
    modprobe -d "$entry/root" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" {print $2}' | while read -r path; do
      local base; base=$(basename "$path")
      if ! grep -qx "/modules/$base" "$stage/modules/load-order"; then
        cp "$path" "$stage/modules/$base"
        echo "/modules/$base" >> "$stage/modules/load-order"
      fi
    done
  done
  (cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 > "$entry/initramfs.cpio.gz"
  rm -rf "$stage"
  init_hash > "$entry/init.sha256"
}

init_hash() { sha256sum < "$LAB_DIR/guest-init.sh" | cut -d' ' -f1; }

write_stamp() {
  local entry=$1 kver
  kver=$(cat "$entry/kernel-version")
  (cd "$entry" && sha256sum vmlinuz initramfs.cpio.gz kernel-version init.sha256 "root/lib/modules/$kver/modules.dep" > .complete.tmp && mv .complete.tmp .complete)
}

build_entry() {
  local pkg=$1 entry="$CACHE_ROOT/$1" tmp
  if [ -d "$entry" ]; then
    say "cache entry $entry is incomplete or damaged (an earlier download or unpack was interrupted): rebuilding it"
    rm -rf "$entry"
  fi
  command -v apt-get >/dev/null || die "apt-get is missing: the lab needs a Debian-based host to fetch the kernel"
  command -v depmod >/dev/null || die "depmod is missing: apt-get install kmod"
  command -v cpio >/dev/null || die "cpio is missing: apt-get install cpio"
  tmp=$(mktemp -d "$CACHE_ROOT/.download.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  say "downloading $pkg and busybox-static into $CACHE_ROOT (once; later runs reuse it)"
  (cd "$tmp" && apt-get download -q "$pkg" busybox-static >/dev/null 2>"$tmp/apt.log") \
    || die "apt-get download $pkg busybox-static failed: $(tail -n 3 "$tmp/apt.log") (run apt-get update, check the package mirror)"
  mkdir -p "$tmp/entry/root"
  local deb
  for deb in "$tmp"/*.deb; do
    dpkg-deb --info "$deb" >/dev/null 2>&1 || die "downloaded package $deb is damaged: run the command again to download it anew"
    dpkg-deb -x "$deb" "$tmp/entry/root"
  done
  local kver
  kver=$(ls -1 "$tmp/entry/root/lib/modules" | head -n 1)
  [ -n "$kver" ] && [ -f "$tmp/entry/root/boot/vmlinuz-$kver" ] || die "package $pkg holds no kernel image"
  depmod -b "$tmp/entry/root" "$kver"
  cp "$tmp/entry/root/boot/vmlinuz-$kver" "$tmp/entry/vmlinuz"
  echo "$kver" > "$tmp/entry/kernel-version"
  build_initramfs "$tmp/entry" "$kver"
  write_stamp "$tmp/entry"
  mv "$tmp/entry" "$entry"
  rm -rf "$tmp"; trap - EXIT
  say "kernel $kver ready in $entry"
}

main() {
  mkdir -p "$CACHE_ROOT"
  local pkg entry
  pkg=$(current_kernel_package)
  if [ -z "$pkg" ]; then
    # No package index (offline or apt not set up): a complete older entry still serves.
    entry=$(newest_complete_entry) || die "cannot tell which kernel linux-image-amd64 depends on (apt-cache depends failed) and no complete cache exists in $CACHE_ROOT: run apt-get update"
    echo "$entry"; return
  fi
  entry="$CACHE_ROOT/$pkg"
  # Concurrent runs (two checkouts, two test tiers) share the cache: one builds, the others wait.
  exec 9> "$CACHE_ROOT/.lock"
  flock 9
  # A .download.* directory left over holds an interrupted download: nothing in it can be trusted.
  rm -rf "$CACHE_ROOT"/.download.* 2>/dev/null || true
  if ! entry_is_complete "$entry" || [ "$(cat "$entry/init.sha256" 2>/dev/null)" != "$(init_hash)" ]; then
    if entry_is_complete "$entry"; then
      say "lab/guest-init.sh differs from the one in the cached initramfs: rebuilding the initramfs"
      build_initramfs "$entry" "$(cat "$entry/kernel-version")"
      write_stamp "$entry"
    else
      build_entry "$pkg"
    fi
  fi
  echo "$entry"
}

main "$@"
