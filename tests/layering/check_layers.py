#!/usr/bin/env python3
"""tests/layering/check_layers.py — the layering rule, checked.

Usage: check_layers.py SRCDIR DESIGN_MD LAYER...
Each LAYER is "name:dir:dep,dep,..." as CMakeLists.txt's SOCKLAB_LAYERS
lists them. Every .c and .h under SRCDIR's source folders must belong to a
layer, and each #include "X/..." of a file must name its own layer or one
of the layer's deps. The layers must form no cycle, and docs/design.md's
table of allowed edges must say the same as CMakeLists.txt. Prints every
violation as FILE:LINE: and exits 1 if there is one."""
import os
import re
import sys

SOURCE_TOPS = ("util", "net", "servers", "clients", "harness", "reports")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def parse_layers(specs):
    layers = {}
    for spec in specs:
        name, d, deps = (spec.split(":") + [""])[:3]
        layers[name] = (d.rstrip("/"), [x for x in deps.split(",") if x])
    return layers


def layer_of(path, layers):
    """The layer whose folder holds path (the longest matching folder)."""
    best = None
    for name, (d, _) in layers.items():
        if os.path.dirname(path) == d and (best is None or len(d) > len(layers[best][0])):
            best = name
    return best


def find_cycle(layers):
    state = {}

    def visit(n, stack):
        state[n] = 1
        for d in layers[n][1]:
            if d not in layers:
                return stack + [n, d + " (unknown)"]
            if state.get(d) == 1:
                return stack + [n, d]
            if d not in state:
                c = visit(d, stack + [n])
                if c:
                    return c
        state[n] = 2
        return None

    for n in layers:
        if n not in state:
            c = visit(n, [])
            if c:
                return c
    return None


def design_edges(design_md):
    """The rows "| `name` | `dir/` | dep, dep |" of the layers table."""
    rows = {}
    with open(design_md, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^\|\s*`([a-z]+)`\s*\|\s*`([^`]+)`\s*\|([^|]*)\|", line)
            if m:
                deps = [x.strip(" `") for x in m.group(3).split(",") if x.strip(" `-—")]
                rows[m.group(1)] = (m.group(2).rstrip("/"), deps)
    return rows


def check(src, design_md, layers):
    bad = []
    cyc = find_cycle(layers)
    if cyc:
        bad.append("CMakeLists.txt: the layers have a cycle: " + " -> ".join(cyc))
    if design_md:
        doc = design_edges(design_md)
        for name, (d, deps) in layers.items():
            if name not in doc:
                bad.append(f"{design_md}: no row for layer `{name}`")
            elif doc[name][0] != d or sorted(doc[name][1]) != sorted(deps):
                bad.append(f"{design_md}: layer `{name}` says {doc[name]}, CMakeLists.txt {(d, deps)}")
        for name in doc:
            if name not in layers:
                bad.append(f"{design_md}: layer `{name}` is not in CMakeLists.txt")
    for top in SOURCE_TOPS:
        for root, _, files in os.walk(os.path.join(src, top)):
            for fn in sorted(files):
                if not fn.endswith((".c", ".h")):
                    continue
                rel = os.path.relpath(os.path.join(root, fn), src)
                me = layer_of(rel, layers)
                if me is None:
                    bad.append(f"{rel}: in no layer (add its folder to SOCKLAB_LAYERS)")
                    continue
                allowed = {me, *layers[me][1]}
                with open(os.path.join(src, rel), encoding="utf-8", errors="replace") as f:
                    for no, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        to = layer_of(m.group(1), layers)
                        if to is None:
                            bad.append(f"{rel}:{no}: includes {m.group(1)}, which is in no layer")
                        elif to not in allowed:
                            bad.append(f"{rel}:{no}: {me} may not include {to} ({m.group(1)})")
    return bad


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    layers = parse_layers(argv[3:])
    bad = check(argv[1], argv[2] if argv[2] != "-" else None, layers)
    for b in bad:
        print(b)
    print(f"layering: {len(layers)} layers, {len(bad)} violation{'s' if len(bad) != 1 else ''}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
