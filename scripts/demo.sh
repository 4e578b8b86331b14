#!/bin/sh
# A short tour of xgo on a fresh simulated Xen host (make demo).
#
#   scripts/demo.sh [XGO_BINARY]      default: bin/xgo
#
# Everything runs against a simulated host kept in a temporary state file
# (XGO_SIM), never this machine's Xen nor the user's own simulated host,
# and the file is removed at the end. The tour stops at the first command
# that fails.
set -eu

xgo_bin=${1:-bin/xgo}
if [ ! -x "$xgo_bin" ]; then
	echo "demo: $xgo_bin not found: run make build first (or make demo)" >&2
	exit 1
fi
case $xgo_bin in
/*) ;;
*) xgo_bin=$PWD/$xgo_bin ;;
esac

state_dir=$(mktemp -d "${TMPDIR:-/tmp}/xgo-demo.XXXXXX")
trap 'rm -rf "$state_dir"' EXIT INT TERM
XGO_SIM=$state_dir/sim.yaml
export XGO_SIM

# heading prints a section title, in bold on a terminal.
if [ -t 1 ]; then bold=$(printf '\033[1m') plain=$(printf '\033[0m'); else bold= plain=; fi
heading() {
	printf '\n%s== %s%s\n' "$bold" "$*" "$plain"
}

# show echoes a command as an admin would type it, quoting the arguments
# the shell would split or expand.
show() {
	line='$ xgo'
	for a in "$@"; do
		case $a in
		'' | *[!A-Za-z0-9_./:=,@%^+-]*) a="'$a'" ;;
		esac
		line="$line $a"
	done
	printf '%s\n' "$line"
}

# x echoes a command, then runs it; a failure ends the tour.
x() {
	show "$@"
	if ! "$xgo_bin" "$@"; then
		echo "demo: \"xgo $*\" failed; stopping" >&2
		exit 1
	fi
}

# refused echoes and runs a command that xgo must refuse (exit status 1),
# showing the message it gives instead of harming the host.
refused() {
	show "$@"
	if "$xgo_bin" "$@"; then
		echo "demo: \"xgo $*\" should have been refused; stopping" >&2
		exit 1
	fi
}

has_command() {
	"$xgo_bin" help "$1" >/dev/null 2>&1
}

cat <<EOF
xgo manages a Xen host's physical CPUs, cpupools, schedulers, PV sound and
XenStore from dom0. This tour needs no Xen: every command below acts on a
simulated Xen 4.17 host (XGO_SIM=$XGO_SIM;
on a real dom0 you would run the same commands without it).
EOF

heading "A fresh simulated host: 2 sockets, 16 pCPUs, 2 NUMA nodes, 3 domains"
x sim init

heading "Physical CPUs"
x pcpu-list

heading "A cpupool with the credit scheduler, given NUMA node 1's CPUs"
x cpupool-create name=batch sched=credit
x cpupool-cpu-move node:1 batch
x cpupool-migrate domu1 batch
x cpupool-list

heading "Take pCPU 3 offline and back (it rejoins Pool-0)"
x pcpu-offline 3
x pcpu-list 2-4
x pcpu-online 3

heading "Checked before Xen sees it: offlining a CPU of another pool"
echo "(on Xen 4.17 that offline would fail and leave the CPU unusable until a reboot)"
refused pcpu-offline 9

heading "A PV sound card for domu2 (written to XenStore in one transaction)"
if has_command vsnd-attach; then
	x vsnd-attach domu2 'CARD, short-name=Demo' 'PCM, name=Analog' 'STREAM, unique-id=alsa<hw:0;0>, type=p'
	x vsnd-list domu2
else
	echo "(skipped: this build of xgo has no vsnd-attach yet)"
fi

heading "A host layout as one job: a YAML batch file, checked whole before anything changes"
if has_command batch; then
	cat >"$state_dir/rt.yaml" <<'YAML'
version: 1
steps:
  - cpupool-create: {name: rt, sched: credit2}
  - cpupool-cpu-move: {cpus: "6-7", pool: rt}
  - cpupool-migrate: {domain: domu2, pool: rt}
  - sched-credit2: {domain: domu2, weight: 512}
YAML
	cat >"$state_dir/broken.yaml" <<'YAML'
version: 1
steps:
  - cpupool-create: {name: scratch, sched: credit2}
  - cpupool-cpu-move: {cpus: "4-5", pool: scratch}
  - cpupool-destroy: {pool: Pool-0}
YAML
	echo "rt.yaml:"
	sed 's/^/    /' "$state_dir/rt.yaml"
	x batch plan "$state_dir/rt.yaml"
	x batch run "$state_dir/rt.yaml"
	echo "broken.yaml fails at its last step, so plan refuses it before step 1 runs:"
	sed 's/^/    /' "$state_dir/broken.yaml"
	refused batch run "$state_dir/broken.yaml"
	x cpupool-list
	heading "The whole layout, as a layout file that xgo apply makes a host match"
	x export
	"$xgo_bin" export >"$state_dir/layout.yaml"
	x apply "$state_dir/layout.yaml"
else
	echo "(skipped: this build of xgo has no batch command yet)"
fi

heading "The same results for scripts: -o json (or -o yaml)"
x pcpu-list 9 -o json

heading "The whole simulated host"
x sim show

cat <<EOF

Next: xgo help, xgo help <command>; docs/sim.md describes the simulated host.
Your own simulated host: xgo sim init, then add --sim to any command.
EOF
