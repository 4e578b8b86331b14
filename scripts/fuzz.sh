#!/usr/bin/env bash
# Runs every native fuzz target of the module for $FUZZTIME each (default
# 30s). Go fuzzes one target per invocation, so list them first.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-30s}
go=${GO:-go}
status=0
count=0
while read -r pkg; do
	for target in $($go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		count=$((count + 1))
		echo "fuzz: $pkg $target ($fuzztime)"
		if ! $go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" >/tmp/xgo-fuzz.$$ 2>&1; then
			cat /tmp/xgo-fuzz.$$
			echo "fuzz: $pkg $target FAILED (the crasher is in $pkg's testdata/fuzz/$target)"
			status=1
		fi
	done
done < <($go list ./... | grep -v /vmtest)
rm -f /tmp/xgo-fuzz.$$
echo "fuzz: $count targets run for $fuzztime each"
exit $status
