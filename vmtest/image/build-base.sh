#!/usr/bin/env bash
# build-base.sh builds the part of the Xen lab that does not change from run
# to run, or finds it in the cache:
#
#   xen          the Xen hypervisor, uncompressed (QEMU's multiboot
#                loader wants the 32-bit ELF, not xen-4.NN-amd64.gz)
#   vmlinux      Debian's Linux kernel, uncompressed (saves ~3 s of
#                decompression per boot under TCG)
#   base.cpio    the dom0 root: busybox, the Xen tools and the libraries
#                they link, the Xen kernel modules, /init, the domU kernel
#                and initramfs, and the /xgo helper scripts
#
# Two Xen releases, each with the Debian release that ships it, so that
# dom0's userland matches its tools:
#
#   XGO_VMTEST_XEN=4.17   Debian bookworm (the host's own apt sources)
#   XGO_VMTEST_XEN=4.20   Debian trixie, through a private apt sources list
#                         and package lists in the cache: the host's apt
#                         configuration is not touched
#
# Every Xen and Debian piece comes from those .debs fetched with
# `apt-get download` and unpacked with `dpkg-deb -x`: nothing Xen-related is
# installed on the host. Host tools (qemu, cpio, kmod, xz) are installed with
# apt when missing.
#
# The result lives in $XGO_VMTEST_CACHE (default ~/.cache/xgo-vmtest) under
# base-RELEASE-KEY, where KEY hashes the files of vmtest/image/ and the exact
# package versions; a changed script or a new Debian package version builds
# a new one. The last line on stdout is the path of that directory. Progress
# goes to stderr.
#
# Usage: [XGO_VMTEST_XEN=4.17|4.20] build-base.sh [--tools-only]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${XGO_VMTEST_CACHE:-${HOME:-/root}/.cache/xgo-vmtest}
xen_series=${XGO_VMTEST_XEN:-4.17}

log() { echo "build-base: $*" >&2; }
die() {
	echo "build-base: error: $*" >&2
	exit 1
}

# Root for apt; sudo when we are not root and it is there.
as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		die "need root (or sudo) to run: $*"
	fi
}

# apt_opts point apt at the release's package lists: the host's own for
# bookworm, a private sources list and lists directory for trixie.
apt_opts=()
case $xen_series in
4.17) debian=bookworm ;;
4.20)
	debian=trixie
	aptdir=$cache/apt-$debian
	mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial"
	printf 'deb http://deb.debian.org/debian %s main\ndeb http://deb.debian.org/debian %s-updates main\ndeb http://deb.debian.org/debian-security %s-security main\n' \
		$debian $debian $debian >"$aptdir/sources.list"
	apt_opts=(-o "Dir::Etc::sourcelist=$aptdir/sources.list" -o Dir::Etc::sourceparts=-
		-o "Dir::State::Lists=$aptdir/lists" -o "Dir::Cache=$aptdir/cache"
		-o APT::Sandbox::User=root)
	;;
*) die "unknown Xen release '$xen_series': want 4.17 or 4.20" ;;
esac

apt_updated=${XGO_VMTEST_APT_UPDATED:-0}
apt_update_once() {
	[ "$apt_updated" = 1 ] && return 0
	log "apt-get update ($debian)"
	as_root apt-get "${apt_opts[@]}" update -qq >&2 || die "apt-get update failed"
	apt_updated=1
}

# ---------------------------------------------------------------- host tools
ensure_tools() {
	local missing=() pair
	for pair in qemu-system-x86_64:qemu-system-x86 cpio:cpio depmod:kmod \
		modprobe:kmod xz:xz-utils zstd:zstd flock:util-linux sha256sum:coreutils \
		dpkg-deb:dpkg; do
		command -v "${pair%%:*}" >/dev/null 2>&1 ||
			[ -x "/sbin/${pair%%:*}" ] || [ -x "/usr/sbin/${pair%%:*}" ] ||
			missing+=("${pair#*:}")
	done
	[ ${#missing[@]} = 0 ] && return 0
	mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
	log "installing host tools: ${missing[*]}"
	# The host's own package lists, whichever release the lab boots.
	as_root apt-get update -qq >&2 || die "apt-get update failed"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >&2 ||
		die "apt-get install ${missing[*]} failed"
}

export PATH="$PATH:/usr/sbin:/sbin"
ensure_tools
[ "${1:-}" = --tools-only ] && exit 0

# ---------------------------------------------------- package set + versions
# Data packages: fetched, unpacked, never installed.
packages=(
	"xen-hypervisor-$xen_series-amd64"
	"xen-utils-$xen_series" # xl, xenstored, oxenstored, xenconsoled, ...
	xen-utils-common        # /etc/xen (xl.conf, oxenstored.conf)
	xenstore-utils          # xenstore-read/-write/-ls/... (one multi-call binary)
	libxenstore4 libxencall1 libxenevtchn1 libxenforeignmemory1
	libxengnttab1 "libxenmisc$xen_series" libxentoollog1 libxendevicemodel1
	libxentoolcore1 libxenhypfs1 libyajl2
	# What the Xen tools link from the base system, so the image does not
	# depend on what the host happens to have installed.
	libc6 libgcc-s1 zlib1g liblzma5 libzstd1 libuuid1 libtinfo6 libncurses6
	busybox-static
	# The domU's ALSA tools for the vsnd tests: aplay/arecord, the library
	# and its configuration (/usr/share/alsa).
	alsa-utils libasound2-data
)
case $debian in
bookworm) packages+=(libasound2) ;;
# trixie: the 64-bit time_t library names, and what libxenmisc4.20 links
# besides.
trixie) packages+=(libasound2t64 libext2fs2t64 libcom-err2) ;;
esac

kernel_package() {
	apt-cache "${apt_opts[@]}" depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

resolve_versions() { # -> versions=(NAME=VERSION...), in one apt-cache call
	local kp
	kp=$(kernel_package)
	[ -n "$kp" ] || return 1
	mapfile -t versions < <(apt-cache "${apt_opts[@]}" policy "${packages[@]}" "$kp" 2>/dev/null |
		awk '/^[^ ]/ { p = $1; sub(/:$/, "", p) } $1 == "Candidate:" && $2 != "(none)" { print p "=" $2 }')
	[ ${#versions[@]} = $((${#packages[@]} + 1)) ]
}

if ! resolve_versions; then
	apt_update_once
	resolve_versions || die "apt knows no candidate for some of: ${packages[*]} linux-image-amd64 (Debian $debian; for bookworm: is this Debian bookworm with main enabled?)"
fi

# The cache key: the image files (this script, inits, helpers) and the
# package versions.
key=$( {
	echo "== release $xen_series $debian"
	for f in "$here"/*; do
		echo "== ${f##*/}"
		cat "$f"
	done
	printf '%s\n' "${versions[@]}"
} | sha256sum | cut -c1-16)
base="$cache/base-$xen_series-$key"
debs="$cache/debs-$xen_series"
if [ -f "$base/complete" ]; then
	log "cached: $base"
	touch "$base/complete"
	echo "$base"
	exit 0
fi

mkdir -p "$debs"
exec 9>"$cache/.lock"
flock -n 9 || { log "waiting for another build (lock $cache/.lock)"; flock 9; }
if [ -f "$base/complete" ]; then # another run built it meanwhile
	echo "$base"
	exit 0
fi

# ------------------------------------------------------------------ download
deb_file() { # NAME=VERSION -> path of its .deb in the cache, if present
	local name=${1%%=*} ver=${1#*=}
	ver=${ver//:/%3a}
	compgen -G "$debs/${name}_${ver}_*.deb" | head -n1
}
missing=()
for pv in "${versions[@]}"; do
	[ -n "$(deb_file "$pv")" ] || missing+=("$pv")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "downloading ${#missing[@]} packages"
	t0=$(date +%s.%N)
	if ! (cd "$debs" && apt-get "${apt_opts[@]}" download -q -o APT::Sandbox::User=root \
		"${missing[@]}" >&2); then
		# A stale package list names versions the mirror no longer has.
		if [ "$apt_updated" = 0 ]; then
			apt_update_once
			exec 9>&-
			XGO_VMTEST_APT_UPDATED=1 exec bash "$0" "$@"
		fi
		die "apt-get download failed"
	fi
	log "downloaded in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')s"
fi

# --------------------------------------------------------------------- build
t0=$(date +%s)
work="$cache/tmp-$key-$$"
trap 'rm -rf "$work"' EXIT
rm -rf "$work"
x="$work/x"       # every package unpacked
root="$work/root" # dom0 root
domu="$work/domu" # domU root
out="$work/out"
mkdir -p "$x" "$root" "$domu" "$out"

for pv in "${versions[@]}"; do
	dpkg-deb -x "$(deb_file "$pv")" "$x"
done
# trixie's packages ship /usr-merged paths (/usr/lib/modules, /usr/bin/...):
# give the unpacked tree the classic names too, so the steps below and the
# image's layout are the same for both releases.
for d in bin sbin lib; do
	[ -d "$x/usr/$d" ] || continue
	if [ -d "$x/$d" ] && [ ! -L "$x/$d" ]; then
		cp -a "$x/$d/." "$x/usr/$d/"
		rm -rf "${x:?}/$d"
	fi
	[ -e "$x/$d" ] || ln -s "usr/$d" "$x/$d"
done
kver=$(ls "$x/lib/modules")
[ "$(echo "$kver" | wc -l)" = 1 ] || die "expected one kernel in the kernel package, got: $kver"

# Xen: QEMU's -kernel multiboot loader needs the ELF, not the gzip.
gunzip -c "$x/boot/xen-$xen_series-amd64.gz" >"$out/xen"

# vmlinux: the bzImage header says where the compressed kernel starts
# (setup_sects at 0x1f1, payload_offset at 0x248, payload_length at 0x24c).
bzread() { od -An -t "u$3" -j "$2" -N "$3" "$1" | tr -d ' '; } # FILE OFFSET SIZE
extract_vmlinux() {
	local bz=$1 dst=$2 setup off len
	setup=$(bzread "$bz" $((0x1f1)) 1)
	[ "$setup" = 0 ] && setup=4
	off=$(((setup + 1) * 512 + $(bzread "$bz" $((0x248)) 4)))
	len=$(bzread "$bz" $((0x24c)) 4)
	# bookworm's kernels are xz-compressed, trixie's zstd-compressed.
	local unpack="xz -dc --single-stream"
	# The zstd payload ends in the kernel's 4-byte size, which zstd would
	# read as a broken second frame.
	if [ "$(dd if="$bz" bs=1 skip="$off" count=4 status=none | od -An -tx1 | tr -d ' ')" = 28b52ffd ]; then
		unpack="zstd -dcq"
		len=$((len - 4))
	fi
	dd if="$bz" bs=64K iflag=skip_bytes,count_bytes skip="$off" count="$len" status=none | $unpack >"$dst" ||
		die "cannot extract vmlinux from $bz ($unpack)"
	[ "$(head -c 4 "$dst" | od -An -c | tr -d ' ')" = '177ELF' ] ||
		die "extracted vmlinux is not an ELF file"
}
extract_vmlinux "$x/boot/vmlinuz-$kver" "$out/vmlinux"

# ----------------------------------------------------------- root filesystems
loader=$x/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
libpath=$x/lib/x86_64-linux-gnu:$x/usr/lib/x86_64-linux-gnu

is_elf() { [ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; }

# copy_with_libs DEST FILE...: copies each FILE (a path inside $x) and the
# shared libraries it needs into the root DEST, at the same paths.
copy_with_libs() {
	local dest=$1 f lib
	shift
	for f in "$@"; do
		mkdir -p "$dest/$(dirname "${f#"$x"}")"
		cp -a "$f" "$dest/${f#"$x"}"
		is_elf "$f" || continue
		"$loader" --library-path "$libpath" --list "$f" >"$work/ldd.out" 2>&1 ||
			die "cannot resolve the libraries of ${f#"$x"}: $(cat "$work/ldd.out")"
		if grep -q 'not found' "$work/ldd.out"; then
			die "${f#"$x"} needs a library no fetched package has: $(grep 'not found' "$work/ldd.out")"
		fi
		while read -r lib; do
			case $lib in "$x"/*) ;; *) die "${f#"$x"}: library outside the packages: $lib" ;; esac
			mkdir -p "$dest/$(dirname "${lib#"$x"}")"
			cp -L "$lib" "$dest/${lib#"$x"}"
		done < <(awk '$2 == "=>" && $3 ~ /^\// { print $3 }' "$work/ldd.out")
	done
	# The dynamic loader itself, at the path the binaries ask for.
	mkdir -p "$dest/lib/x86_64-linux-gnu" "$dest/lib64"
	cp -L "$loader" "$dest/lib/x86_64-linux-gnu/"
	ln -sf /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$dest/lib64/ld-linux-x86-64.so.2"
}

# skeleton DEST: directories, busybox and its applet links, /etc basics.
skeleton() {
	local dest=$1 applet
	mkdir -p "$dest"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,root,var/lib,var/log}
	ln -s ../run "$dest/var/run"
	ln -s ../run/lock "$dest/var/lock"
	chmod 1777 "$dest/tmp"
	cp "$x/bin/busybox" "$dest/bin/busybox"
	while read -r applet; do
		[ -e "$dest/$applet" ] || [ -L "$dest/$applet" ] ||
			ln -s /bin/busybox "$dest/$applet"
	done < <("$dest/bin/busybox" --list-full)
	echo 'root::0:0:root:/root:/bin/sh' >"$dest/etc/passwd"
	echo 'root:x:0:' >"$dest/etc/group"
	printf '/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n' >"$dest/etc/ld.so.conf"
}

# --- the domU root: busybox, the xenstore client, aplay/arecord, /init
skeleton "$domu"
copy_with_libs "$domu" "$x/usr/bin/xenstore" "$x/usr/bin/aplay"
cp -a "$x"/usr/bin/xenstore-* "$domu/usr/bin/"
# arecord is a link to aplay, which picks its mode from its name.
ln -sf aplay "$domu/usr/bin/arecord"
# libasound reads alsa.conf and the card configs at snd_pcm_open, even for
# hw: devices; it finds them under /usr/share/alsa.
mkdir -p "$domu/usr/share"
cp -a "$x/usr/share/alsa" "$domu/usr/share/"
install -m 0755 "$here/domu-init" "$domu/init"

# --- the dom0 root
skeleton "$root"
printf 'export PS1="\\h:\\w# "\n' >"$root/etc/profile"
mapfile -t xen_bins < <(for f in "$x/usr/lib/xen-$xen_series/bin"/*; do is_elf "$f" && echo "$f"; done)
copy_with_libs "$root" "${xen_bins[@]}" "$x/usr/bin/xenstore" "$x/usr/sbin/xenhypfs"
cp -a "$x"/usr/bin/xenstore-* "$root/usr/bin/"
# Debian's /usr/sbin/xl and friends are wrappers that pick the Xen version;
# link the real binaries instead.
for f in "${xen_bins[@]}"; do
	ln -sf "/usr/lib/xen-$xen_series/bin/${f##*/}" "$root/usr/sbin/${f##*/}"
done
# glibc loads libgcc_s at run time for pthread_cancel: `xl create` and
# `xl shutdown -w` abort without it.
cp -L "$x/lib/x86_64-linux-gnu/libgcc_s.so.1" "$root/lib/x86_64-linux-gnu/"
cp -a "$x/etc/xen" "$root/etc/"
mkdir -p "$root/var/lib/xen" "$root/var/lib/xenstored" "$root/var/log/xen"

# Kernel modules: the ones dom0 needs, the backends later tests may want,
# and everything they depend on. The domU gets the PV frontends, loaded on
# demand (xgo.modprobe= on its kernel command line, see domu-init).
depmod -b "$x" "$kver"
copy_modules() { # DEST MODULE...
	local dest=$1 m
	shift
	for m in "$@"; do
		modprobe -d "$x" -S "$kver" --show-depends "$m" ||
			die "kernel $kver has no module $m"
	done | awk '$1 == "insmod" { print $2 }' | sort -u | while read -r ko; do
		ko=${ko#"$x"}
		ko=${ko#/.}
		mkdir -p "$dest/$(dirname "$ko")"
		case $ko in
		# trixie's modules are xz-compressed; busybox's modprobe loads
		# plain ones.
		*.ko.xz) xz -dc "$x/$ko" >"$dest/${ko%.xz}" ;;
		*) cp "$x/$ko" "$dest/$ko" ;;
		esac
	done
	cp "$x/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo} "$dest/lib/modules/$kver/"
	depmod -b "$dest" "$kver"
}
copy_modules "$root" xen-evtchn xen-privcmd xenfs xen-gntdev xen-gntalloc \
	xen-blkback xen-netback snd-xen-front
copy_modules "$domu" snd-xen-front xen-netfront xen-blkfront xen-evtchn xen-gntalloc

# The lab's own files.
install -m 0755 "$here/dom0-init" "$root/init"
mkdir -p "$root/xgo/bin" "$root/xgo/domu"
install -m 0755 "$here/start-domu" "$here/domu-run" "$root/xgo/"
cp "$out/vmlinux" "$root/xgo/domu/vmlinux"

pack() { # DIR -> newc cpio on stdout, owned by root, parents before children
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet)
}
pack "$domu" >"$root/xgo/domu/initramfs.cpio"
pack "$root" >"$out/base.cpio"

{
	echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) in $(($(date +%s) - t0))s"
	echo "kernel: $kver"
	printf 'package: %s\n' "${versions[@]}"
	echo "sizes:"
	(cd "$out" && ls -l xen vmlinux base.cpio | awk '{ printf "  %-10s %6.1f MB\n", $9, $5/1e6 }')
	printf '  %-10s %6.1f MB\n' domu-initrd "$(stat -c %s "$root/xgo/domu/initramfs.cpio" | awk '{print $1/1e6}')"
} >"$out/manifest.txt"
touch "$out/complete"

rm -rf "$base"
mv "$out" "$base"
log "built $base in $(($(date +%s) - t0))s"

# Keep the cache bounded: the two most recent bases of this release, and the
# .debs of this one. (base-KEY and debs/ are the layout before releases.)
ls -1dt "$cache"/base-"$xen_series"-* 2>/dev/null | tail -n +3 | xargs -r rm -rf
rm -rf "$cache"/base-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f] "$cache/debs"
keep=$(for pv in "${versions[@]}"; do deb_file "$pv"; done)
for f in "$debs"/*.deb; do
	grep -qxF "$f" <<<"$keep" || rm -f "$f"
done

echo "$base"
