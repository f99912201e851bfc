#!/usr/bin/env python3
"""Fails when a tracked file is missing from its folder's README table.

A folder with a README.md (the top level aside: its README describes the
folders) must name each file under it in a table row of that README, as
`name`, `sub/name` or a glob such as `vm_*.c`; files of a subfolder that
has a README of its own are that README's. Prints each missing file, one
line each, and exits 1 if there was one."""
import fnmatch
import os
import re
import subprocess
import sys

os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
files = subprocess.run(["git", "ls-files"], capture_output=True, text=True,
                       check=True).stdout.split()
readme_dirs = {os.path.dirname(f) for f in files if os.path.basename(f) == "README.md"}
readme_dirs.discard("")


def owner(path):
    """The nearest folder above path that has a README (None: the top)."""
    d = os.path.dirname(path)
    while d:
        if d in readme_dirs:
            return d
        d = os.path.dirname(d)
    return None


# Folders whose tables are still incomplete (issue 23): their gaps are
# printed as notes and do not fail the check. Remove a folder once its
# README lists every file.
PENDING = {"vmm", "images", "bench", "examples/workloads"}

patterns = {}
for d in readme_dirs:
    with open(os.path.join(d, "README.md"), encoding="utf-8") as f:
        rows = [line for line in f if line.lstrip().startswith("|")]
    patterns[d] = [tok.strip() for row in rows for tok in re.findall(r"`([^`]+)`", row)]

missing = []
for path in files:
    d = owner(path)
    if d is None or path == os.path.join(d, "README.md") or not os.path.exists(path):
        continue
    rel = os.path.relpath(path, d)
    names = {rel, os.path.basename(path), rel.rstrip("/")}
    ok = any(fnmatch.fnmatch(n, p) or fnmatch.fnmatch(n, p.rstrip("/") + "/*")
             for p in patterns[d] for n in names)
    if not ok:
        missing.append(f"{d}/README.md: no table row names {rel}")

failing = [m for m in missing if m.split("/README.md")[0] not in PENDING]
for m in missing:
    print(("" if m in failing else "note (pending): ") + m)
print(f"{len(failing)} missing, {len(missing) - len(failing)} in pending folders")
sys.exit(1 if failing else 0)
