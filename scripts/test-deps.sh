#!/usr/bin/env bash
# Installs the programs that make test's tests run, when they are missing:
# the completion tests drive a real bash through tmux and parse the zsh and
# fish scripts with those shells; the man page test renders with groff and
# man; the Ansible collection's test runs ansible-playbook (Debian's
# ansible-core). On Debian they come from apt (one apt-get update first, sudo -n when
# not root); elsewhere the missing ones are named and the script fails.
set -euo pipefail
missing=""
for tool in tmux:tmux zsh:zsh fish:fish groff:groff-base man:man-db ansible-playbook:ansible-core; do
	command -v "${tool%%:*}" >/dev/null 2>&1 || missing="$missing ${tool#*:}"
done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
	echo "test-deps: missing$missing, and no apt-get to install them with" >&2
	exit 1
fi
echo "test-deps: installing$missing"
sudo_=""
[ "$(id -u)" = 0 ] || sudo_="sudo -n"
$sudo_ apt-get update -q >/dev/null
# shellcheck disable=SC2086 # one word per package
$sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null
for tool in tmux zsh fish groff man ansible-playbook; do
	command -v "$tool" >/dev/null 2>&1 || { echo "test-deps: $tool is still missing after apt-get install" >&2; exit 1; }
done
