"""Proves the kernel's layering rules (issue 7): one owner per state, no include circles, leaf files.

1. Only kernel/sched.c writes a domain's run state (`->state =` or `.state =`).
2. kernel/hypercall.c only decodes: it writes no domain field other than the return registers
   and calls none of the scheduler's state transitions.
3. The kernel's modules (kernel/X.c including kernel/Y.h for another module Y) form no circle.
4. libbh's raw hypercall file is a leaf: its object needs no symbol from anywhere.
Usage: check_layering.py SOURCE_ROOT LIBBH_ARCHIVE
"""

import glob
import os
import re
import subprocess
import sys

STATE_WRITE = re.compile(r"(->|\.)state\s*=[^=]")
FIELD_WRITE = re.compile(r"->(\w+)\s*(\|=|&=|=[^=])")
INCLUDE = re.compile(r"#include <kernel/(\w+)\.h>")
# What hypercall.c may write: the return registers, through set_ret.
DECODER_WRITES = {"rax", "rdx"}
TRANSITIONS = re.compile(r"\bsched_(wake|block|stop|handoff|direct_ok)\b")


def kernel_sources(root):
    """Returns every C file of the kernel, architecture code included."""
    return sorted(glob.glob(os.path.join(root, "kernel", "**", "*.c"), recursive=True))


def code_of(path):
    """Returns @path's text with comments removed (a comment may name a rule it describes)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def state_owners(root):
    """Returns a failure line per file other than sched.c that writes a run state."""
    bad = []
    for path in kernel_sources(root):
        rel = os.path.relpath(path, root)
        if rel != os.path.join("kernel", "sched.c") and STATE_WRITE.search(code_of(path)):
            bad.append("%s writes a domain's run state (only kernel/sched.c may)" % rel)
    return bad


def decoder_only(root):
    """Returns failure lines for what kernel/hypercall.c does beyond decoding."""
    code = code_of(os.path.join(root, "kernel", "hypercall.c"))
    bad = ["kernel/hypercall.c writes ->%s" % m.group(1) for m in FIELD_WRITE.finditer(code)
           if m.group(1) not in DECODER_WRITES]
    bad += ["kernel/hypercall.c calls sched_%s" % m.group(1) for m in TRANSITIONS.finditer(code)]
    return bad


def module_graph(root):
    """Returns {module: modules whose header it includes}, for the modules kernel/*.c."""
    graph = {}
    for path in glob.glob(os.path.join(root, "kernel", "*.c")):
        name = os.path.basename(path)[:-2]
        deps = set(INCLUDE.findall(code_of(path))) - {name}
        graph[name] = {d for d in deps if os.path.exists(os.path.join(root, "kernel", d + ".c"))}
    return graph


def circles(graph):
    """Returns a failure line for each include circle among the modules of @graph."""
    bad, done = [], set()

    def visit(node, path):
        for nxt in sorted(graph.get(node, ())):
            if nxt in path:
                bad.append("include circle: " + " -> ".join(path[path.index(nxt):] + [nxt]))
            elif nxt not in done:
                visit(nxt, path + [nxt])
        done.add(node)

    for node in sorted(graph):
        if node not in done:
            visit(node, [node])
    return bad


def leaf(archive, member="bh_hypercall.c.o"):
    """Returns a failure line per symbol libbh's raw hypercall object takes from elsewhere."""
    out = subprocess.run(["nm", "-u", archive], capture_output=True, text=True, check=True).stdout
    bad, current, seen = [], None, False
    for line in out.splitlines():
        if line.endswith(":"):
            # A thin archive names its members by path (".../libbh_bh_hypercall.c.o").
            current = line[:-1].rsplit("/", 1)[-1]
            seen = seen or current.endswith(member)
        elif current and current.endswith(member) and line.strip():
            bad.append("libbh %s needs %s: it must be a leaf" % (member, line.split()[-1]))
    if not seen:
        bad.append("libbh archive %s has no member %s" % (archive, member))
    return bad


def main(argv):
    """Runs every check. Returns 0 if the rules hold, 1 with the reasons on stderr if not."""
    if len(argv) != 3:
        print("usage: check_layering.py SOURCE_ROOT LIBBH_ARCHIVE", file=sys.stderr)
        return 2
    root, archive = argv[1], argv[2]
    bad = state_owners(root) + decoder_only(root) + circles(module_graph(root)) + leaf(archive)
    for line in bad:
        print("FAIL: " + line, file=sys.stderr)
    if not bad:
        print("ok: one owner of run state, hypercall.c decodes only, no include circle, "
              "bh_hypercall.c is a leaf")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
