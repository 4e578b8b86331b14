#!/usr/bin/python
# -*- coding: utf-8 -*-
# Drives "xgo diff|apply -o json" on a Xen dom0: make the host match an
# xgo layout file.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: xgo_layout
short_description: Make a Xen dom0 match an xgo layout file
description:
  - Runs C(xgo apply -o json) on the target with a layout file (cpupools
    with their names, schedulers, CPUs and parameters; domains' pools and
    scheduler parameters; vsnd cards; offline pCPUs). xgo takes the fewest
    steps, plans them on a simulated copy of the host and rolls them back
    if one fails; on a host that already matches it changes nothing.
  - In check mode it runs C(xgo diff -o json) and changes nothing.
  - I(changed) is true only when steps ran. With C(--diff), the changes
    are shown one per line.
  - A failure carries xgo's one-line message (I(msg)) and its exit status
    (I(rc)).
options:
  src:
    description: Path of the layout file on the target. Give I(src) or I(content).
    type: path
  content:
    description: The layout file's text (written to a temporary file on the target).
    type: str
  prune:
    description: Also remove the pools and the domains' vsnd cards the file does not list (C(--prune)).
    type: bool
    default: false
  strict:
    description: Fail when a domain the file names is not running, instead of skipping it with a warning (C(--strict)).
    type: bool
    default: false
  xgo:
    description: The xgo binary.
    type: str
    default: xgo
  sim:
    description: Act on the simulated host kept in this state file (C(--sim=STATE)), for tests and demos.
    type: path
  lock_timeout:
    description: How long to wait for another xgo job on the host (C(--lock-timeout)), e.g. C(30s).
    type: str
author:
  - xgo developers
"""

EXAMPLES = r"""
- name: Lay out the dom0's cpupools and vCPUs
  xgo.xen.xgo_layout:
    src: /etc/xgo/host.yaml

- name: From a file of the control node, pruning what it does not list
  xgo.xen.xgo_layout:
    content: "{{ lookup('file', 'layouts/' + xgo_layout + '.yaml') }}"
    prune: true
"""

RETURN = r"""
changes:
  description: The differences, one entry each (kind, name, action, field, have, want, step), as xgo diff -o json prints them.
  returned: always
  type: list
in_sync:
  description: Whether the host matched the file before the module ran.
  returned: always
  type: bool
steps:
  description: The batch steps xgo planned (check mode) or ran, with their status.
  returned: when the host differed
  type: list
report:
  description: xgo's whole JSON report.
  returned: when xgo printed one
  type: dict
rc:
  description: xgo's exit status.
  returned: always
  type: int
"""

import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule


def change_line(c):
    s = "%s %s: %s" % (c.get("kind", ""), c.get("name", ""), c.get("action", ""))
    if c.get("field"):
        s += " " + c["field"]
    have, want = c.get("have", ""), c.get("want", "")
    if have and want:
        s += " %s -> %s" % (have, want)
    elif want or have:
        s += " " + (want or have)
    return s


def xgo_message(stderr, fallback):
    """xgo's one-line error. Under -o json, which the module passes, xgo
    writes it as a JSON object on stderr ({"schemaVersion": 1, "error":
    {"status": N, "message": ...}}, docs/cli.md); otherwise it is the last
    "xgo: " line that is not a warning."""
    for line in reversed(stderr.splitlines()):
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict) and isinstance(doc.get("error"), dict) and doc["error"].get("message"):
            return doc["error"]["message"]
    lines = [l for l in stderr.splitlines() if l.startswith("xgo: ") and not l.startswith("xgo: warning: ")]
    if lines:
        return lines[-1][len("xgo: "):]
    return stderr.strip() or fallback


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type="path"),
            content=dict(type="str"),
            prune=dict(type="bool", default=False),
            strict=dict(type="bool", default=False),
            xgo=dict(type="str", default="xgo"),
            sim=dict(type="path"),
            lock_timeout=dict(type="str"),
        ),
        required_one_of=[("src", "content")],
        mutually_exclusive=[("src", "content")],
        supports_check_mode=True,
    )
    p = module.params
    xgo = module.get_bin_path(p["xgo"], required=False) or p["xgo"]
    tmp = None
    src = p["src"]
    if p["content"] is not None:
        fd, tmp = tempfile.mkstemp(prefix="xgo-layout-", suffix=".yaml", dir=module.tmpdir)
        with os.fdopen(fd, "w") as f:
            f.write(p["content"])
        src = tmp

    cmd = [xgo]
    if p["sim"]:
        cmd.append("--sim=" + p["sim"])
    cmd += ["diff" if module.check_mode else "apply", "-o", "json"]
    if p["prune"]:
        cmd.append("--prune")
    if p["strict"]:
        cmd.append("--strict")
    if p["lock_timeout"] and not module.check_mode:
        cmd += ["--lock-timeout", p["lock_timeout"]]
    cmd += ["--", src]

    rc, out, err = module.run_command(cmd)
    if tmp:
        os.unlink(tmp)
    report = None
    try:
        report = json.loads(out) if out.strip() else None
    except ValueError:
        report = None
    for line in err.splitlines():
        if line.startswith("xgo: warning: "):
            module.warn(line[len("xgo: warning: "):])

    result = dict(changed=False, rc=rc, cmd=cmd)
    if report is not None:
        result["report"] = report
        result["changes"] = report.get("changes") or []
        result["in_sync"] = bool(report.get("inSync"))
        if report.get("steps"):
            result["steps"] = report["steps"]
    if rc != 0:
        # 5: a step failed and undoing the steps before it failed too,
        # so the host is partly changed.
        result["changed"] = rc == 5
        result["stderr"] = err
        module.fail_json(msg=xgo_message(err, "xgo exited with status %d" % rc), **result)
    if report is None:
        module.fail_json(msg="xgo printed no JSON report", stdout=out, stderr=err, **result)

    if module.check_mode:
        result["changed"] = not report.get("inSync", False)
    else:
        result["changed"] = bool(report.get("changed"))
    if module._diff and result["changes"]:
        result["diff"] = dict(prepared="\n".join(change_line(c) for c in result["changes"]) + "\n")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
