#!/usr/bin/env python3
"""tests/layering/test_bites.py — the layering check must fail on a
forbidden include. Copies the source folders to a temporary tree, checks
that the copy passes, then plants one forbidden include per case (a low
layer including a higher one, a cycle in the list, a file in no layer) and
checks that each is reported. Arguments as check_layers.py's."""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_layers as cl  # noqa: E402


def main(argv):
    src, design, specs = argv[1], argv[2], argv[3:]
    layers = cl.parse_layers(specs)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for top in cl.SOURCE_TOPS:
            shutil.copytree(os.path.join(src, top), os.path.join(tmp, top))
        base = cl.check(tmp, design, layers)
        if base:
            print("the unmodified copy already fails:", *base, sep="\n  ")
            return 1

        def expect(what, bad, needle):
            nonlocal failures
            hit = [b for b in bad if needle in b]
            print(("ok  " if hit else "FAIL") + f" {what}: {hit[0] if hit else bad}")
            failures += not hit

        low = os.path.join(tmp, "util", "buf.c")
        with open(low, "a") as f:
            f.write('\n#include "harness/store/store.h"\n')
        expect("util includes store", cl.check(tmp, design, layers), "util may not include store")
        shutil.copy(os.path.join(src, "util", "buf.c"), low)

        up = os.path.join(tmp, "harness", "capture", "pkt.c")
        with open(up, "a") as f:
            f.write('\n#  include "harness/store/store.h"\n')
        expect("capture includes store", cl.check(tmp, design, layers), "capture may not include store")
        shutil.copy(os.path.join(src, "harness", "capture", "pkt.c"), up)

        stray = os.path.join(tmp, "harness", "stray.c")
        open(stray, "w").close()
        expect("a file in no layer", cl.check(tmp, design, layers), "in no layer")
        os.remove(stray)

        cyc = dict(layers)
        cyc["util"] = (cyc["util"][0], ["cli"])
        expect("a cycle in the list", cl.check(tmp, None, cyc), "cycle")
        expect("design.md disagrees", cl.check(tmp, design, cyc), "design.md")
    print(f"{5 - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
