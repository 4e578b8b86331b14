#!/usr/bin/env bash
# Checks a built .deb ("make deb-check"): lintian must report no errors
# (warnings are printed and listed in README.md), the package must install
# with dpkg into an empty root, and the xgo it installed must run there
# (chroot: a static binary needs nothing else) against a simulated host;
# systemd-analyze verifies both units and holds xgo-vsnd-backend.service's
# sandbox to its measured exposure level.
# Installs lintian with apt when it is missing. Needs no TTY.
set -euo pipefail
deb=${1:?usage: check.sh PACKAGE.deb}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }

if ! command -v lintian >/dev/null; then
	echo "deb-check: installing lintian"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q lintian >/dev/null ||
		{ as_root apt-get update -q >/dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q lintian >/dev/null; }
fi
echo "deb-check: lintian $deb"
lintian --fail-on error --display-level '>=warning' "$deb" || {
	echo "deb-check: lintian found errors" >&2
	exit 1
}

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers" "$root/tmp"
touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"
as_root dpkg --root="$root" --log=/dev/null -i "$deb" >/dev/null
as_root dpkg --root="$root" -s xgo | grep -qx 'Status: install ok installed'
for f in usr/sbin/xgo usr/share/man/man1/xgo.1.gz usr/share/man/man1/xgo-cpupool-cpu-move.1.gz \
	usr/share/bash-completion/completions/xgo usr/share/zsh/vendor-completions/_xgo \
	usr/share/fish/vendor_completions.d/xgo.fish lib/systemd/system/xgo-host-layout.service \
	lib/systemd/system/xgo-vsnd-backend.service \
	usr/share/doc/xgo/copyright usr/share/doc/xgo/changelog.Debian.gz; do
	[ -f "$root/$f" ] || { echo "deb-check: the package did not install /$f" >&2; exit 1; }
done
# Disabled by default: nothing links a unit into a target, and there is
# no maintainer script that could enable or start one.
for unit in xgo-host-layout.service xgo-vsnd-backend.service; do
	if find "$root/etc" -name "$unit" 2>/dev/null | grep -q .; then
		echo "deb-check: the package enables $unit" >&2
		exit 1
	fi
done
scripts=$(dpkg-deb --ctrl-tarfile "$deb" | tar -t | grep -E '(^|/)(pre|post)(inst|rm)$' || true)
if [ -n "$scripts" ]; then
	echo "deb-check: the package has maintainer scripts: $scripts" >&2
	exit 1
fi
# Only "sim init" makes a simulated host; every other command refuses a
# missing state file.
if [ "$(id -u)" = 0 ]; then
	chroot "$root" /usr/sbin/xgo --sim=/tmp/host.state sim init >/dev/null
	out=$(chroot "$root" /usr/sbin/xgo --sim=/tmp/host.state pcpu-list)
else
	"$root/usr/sbin/xgo" --sim="$root/tmp/host.state" sim init >/dev/null
	out=$("$root/usr/sbin/xgo" --sim="$root/tmp/host.state" pcpu-list)
fi
echo "$out" | head -3
echo "$out" | grep -q '^0 *online' || { echo "deb-check: the installed xgo --sim pcpu-list printed no CPU 0" >&2; exit 1; }
MANPAGER=cat man -l "$root/usr/share/man/man1/xgo-cpupool-cpu-move.1.gz" | grep -q 'xgo cpupool-cpu-move <cpu-list> <pool>'
# The exposure level "systemd-analyze security" gives
# xgo-vsnd-backend.service (docs/vsnd-backend.md, "Running as a service"),
# in its tenths: a change that loosens the sandbox fails here.
vsnd_exposure_max=7
if command -v systemd-analyze >/dev/null; then
	for name in xgo-host-layout.service xgo-vsnd-backend.service; do
		# verify checks the unit's syntax and that ExecStart exists: point
		# it at the installed binary.
		unit="$root/tmp/$name"
		sed "s|ExecStart=/usr/sbin/xgo|ExecStart=$root/usr/sbin/xgo|" "$root/lib/systemd/system/$name" > "$unit"
		vout=$(MANPATH="$root/usr/share/man" systemd-analyze verify "$unit" 2>&1 | grep -v -e 'xen.service' -e 'xenstored.service' -e 'xen-init-dom0.service' -e 'xendomains.service' || true)
		if [ -n "$vout" ]; then
			echo "deb-check: systemd-analyze verify $name:" >&2
			echo "$vout" >&2
			exit 1
		fi
	done
	# security --offline reads the unit file alone, as installed.
	unit="$root/lib/systemd/system/xgo-vsnd-backend.service"
	if ! sout=$(systemd-analyze security --offline=true --no-pager --threshold="$vsnd_exposure_max" "$unit" 2>&1); then
		echo "$sout" | grep -e '✗' -e 'exposure level' >&2
		echo "deb-check: xgo-vsnd-backend.service's exposure level is over $((vsnd_exposure_max / 10)).$((vsnd_exposure_max % 10)) (or systemd-analyze security failed)" >&2
		exit 1
	fi
	echo "deb-check: systemd-analyze security: $(echo "$sout" | grep -o 'exposure level for .*')"
else
	echo "deb-check: no systemd-analyze: the units were not verified" >&2
fi
echo "deb-check: $deb passes lintian, installs into an empty root, its xgo runs there and its units verify"
