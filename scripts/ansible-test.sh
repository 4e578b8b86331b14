#!/bin/sh
# Tests the Ansible collection in ansible/ with real ansible-core against
# localhost, on a simulated host: scripts/ansible-test.sh [path/to/xgo].
set -eu
xgo=$(realpath "${1:-bin/xgo}")
root=$(cd "$(dirname "$0")/.." && pwd)
command -v ansible-playbook >/dev/null || { echo "ansible-test: ansible-playbook not found (make test-deps installs ansible-core)" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$xgo" --sim="$dir/sim.yaml" sim init >/dev/null
export ANSIBLE_COLLECTIONS_PATH="$root/ansible" ANSIBLE_HOME="$dir/ansible-home" \
	ANSIBLE_LOCAL_TEMP="$dir/tmp" ANSIBLE_REMOTE_TEMP="$dir/remote" ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 \
	ANSIBLE_PYTHON_INTERPRETER=auto_silent ANSIBLE_DEPRECATION_WARNINGS=0
ansible-playbook -i localhost, -c local "$root/ansible/tests/layout_test.yml" \
	-e "xgo=$xgo" -e "sim=$dir/sim.yaml" -e "layout=$root/ansible/tests/layout.yaml" -e "bad=$root/ansible/tests/bad.yaml"
echo "ansible-test: the xgo.xen.xgo_layout module passed"
