#!/usr/bin/env bash
# Runs every native fuzz target of the module for $FUZZTIME each (default
# 30s). Go fuzzes one target per invocation, so list them first.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-30s}
go=${GO:-go}
status=0
count=0

# fuzz_one runs one target, its output in /tmp/xgo-fuzz.$$.
fuzz_one() {
	$go test -run '^$' -fuzz "^${2}\$" -fuzztime "$fuzztime" "$1" >/tmp/xgo-fuzz.$$ 2>&1
}

while read -r pkg; do
	for target in $($go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		count=$((count + 1))
		echo "fuzz: $pkg $target ($fuzztime)"
		if fuzz_one "$pkg" "$target"; then
			continue
		fi
		# Go before 1.27 can fail a target with a bare "context deadline
		# exceeded" when -fuzztime expires while a worker is busy
		# (golang/go#75804): no input is written, nothing was found. Such
		# a run is tried up to twice more (it was seen about once per
		# make test); a written reproducer never is.
		again=0
		while [ $again -lt 2 ] && grep -q 'context deadline exceeded' /tmp/xgo-fuzz.$$ && ! grep -q 'Failing input written to' /tmp/xgo-fuzz.$$; do
			again=$((again + 1))
			echo "fuzz: $pkg $target stopped at the deadline without a finding (golang/go#75804); running it again"
			if fuzz_one "$pkg" "$target"; then
				continue 2
			fi
		done
		cat /tmp/xgo-fuzz.$$
		echo "fuzz: $pkg $target FAILED (the crasher is in $pkg's testdata/fuzz/$target)"
		status=1
	done
done < <($go list ./... | grep -v /vmtest)
rm -f /tmp/xgo-fuzz.$$
echo "fuzz: $count targets run for $fuzztime each"
exit $status
