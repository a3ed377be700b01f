#!/usr/bin/env python3
"""Structural limits the code keeps (infra/test.sh runs this):
- no Rust file over 600 lines, counting everything in it (tests included);
- no two modules of a crate that refer to each other (a cycle), parent and
  child aside: `a` using `b` and `b` using `a` means neither can be read first.
Exit status 1 on any finding, each printed. Run from anywhere:
  python3 infra/tools/check-structure.py
"""
import glob
import os
import re
import sys

MAX_LINES = 600
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SKIP = ("/target/", "/.venv", "/.cache/", "/node_modules/")


def rust_files():
    for f in glob.glob(ROOT + "/**/*.rs", recursive=True):
        if not any(s in f for s in SKIP):
            yield f


def source_roots():
    """Each crate's module trees: src/, and the e2e crate's support/ and e2e/."""
    for toml in glob.glob(ROOT + "/**/Cargo.toml", recursive=True):
        if any(s in toml for s in SKIP):
            continue
        crate = os.path.dirname(toml)
        for tree in ("src", "support", "e2e"):
            if os.path.isdir(os.path.join(crate, tree)):
                yield os.path.join(crate, tree)


def module_of(tree, path):
    parts = os.path.relpath(path, tree)[:-3].split(os.sep)
    if parts[-1] in ("lib", "main", "mod"):
        parts = parts[:-1]
    return tuple(parts)


def references(module, text, modules):
    """The modules of this tree that `text` names by path (crate::, super::, self::)."""
    for path in re.findall(r"\b((?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)+)", text):
        parts = path.split("::")
        if parts[0] == "crate":
            target, rest = (), parts[1:]
        else:
            base, rest = list(module), parts
            while rest and rest[0] in ("super", "self"):
                if rest[0] == "super":
                    base = base[:-1]
                rest = rest[1:]
            target = tuple(base)
        for name in rest:
            if target + (name,) not in modules:
                break
            target = target + (name,)
        if target != module:
            yield target


def cycles():
    for tree in source_roots():
        modules = {module_of(tree, f): f for f in glob.glob(tree + "/**/*.rs", recursive=True)}
        edges = {
            (m, t)
            for m, f in modules.items()
            for t in references(m, open(f, encoding="utf-8").read(), modules)
        }
        for a, b in sorted(edges):
            related = a[: len(b)] == b or b[: len(a)] == a
            if a < b and (b, a) in edges and not related:
                yield f"{os.path.relpath(tree, ROOT)}: {'::'.join(a) or 'crate'} <-> {'::'.join(b) or 'crate'}"


def main():
    findings = []
    for f in sorted(rust_files()):
        with open(f, encoding="utf-8") as fh:
            n = sum(1 for _ in fh)
        if n > MAX_LINES:
            findings.append(f"{os.path.relpath(f, ROOT)}: {n} lines (at most {MAX_LINES})")
    findings += [f"module cycle: {c}" for c in cycles()]
    for line in findings:
        print(line)
    print(f"structure: {len(findings)} finding(s)", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
