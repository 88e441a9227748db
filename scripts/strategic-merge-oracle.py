#!/usr/bin/env python3
"""Fills in the expected results of the strategic merge patch test table from kubectl.

kubectl's `patch --local` runs Kubernetes' own strategic merge code (k8s.io/apimachinery strategicpatch,
with the real struct tags of k8s.io/api) on a local file, so it is the reference the Java implementation is
tested against. Usage: scripts/strategic-merge-oracle.py [CASES.yaml]  (needs kubectl and PyYAML)
"""
import json, subprocess, sys, tempfile, yaml

path = sys.argv[1] if len(sys.argv) > 1 else \
    "apiserver/src/test/resources/io/kubeha/apiserver/patch/strategic-merge-cases.yaml"
with open(path) as f:
    table = yaml.safe_load(f)

for case in table["cases"]:
    case.pop("expected", None)
    case.pop("error", None)
    with tempfile.NamedTemporaryFile("w", suffix=".json") as live:
        json.dump(table["bases"][case["live"]], live)
        live.flush()
        run = subprocess.run(["kubectl", "patch", "-f", live.name, "--local", "--type", "strategic",
                              "-p", json.dumps(case["patch"]), "-o", "json"], capture_output=True, text=True)
    if run.returncode == 0:
        case["expected"] = json.loads(run.stdout)
    else:
        case["error"] = run.stderr.strip().removeprefix("error: ")
    print(("ok    " if run.returncode == 0 else "error ") + case["name"], file=sys.stderr)

version = subprocess.run(["kubectl", "version", "--client", "-o", "json"], capture_output=True, text=True)
client = json.loads(version.stdout)["clientVersion"]["gitVersion"]


class Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True


with open(path, "w") as f:
    f.write("# Strategic merge patch cases: each applies `patch` to the base object named by `live`.\n"
            "# `expected` / `error` are what kubectl %s's `patch --local --type strategic` (Kubernetes' own\n"
            "# strategic merge code) makes of it, written by scripts/strategic-merge-oracle.py: edit the cases,\n"
            "# then run that script to refresh them.\n" % client)
    yaml.dump(table, f, Dumper=Dumper, sort_keys=False, width=120, default_flow_style=None, allow_unicode=True)
