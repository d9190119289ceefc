"""`bulkhead graph`: the system picture - bhc writes Graphviz DOT, dot renders it."""

import os
import shutil
import tempfile

from .util import BHC, IMAGE_DIR, MEMORY, Failure, rel, run_quiet

# Output formats by file extension: what `dot -T` makes of them (None: the DOT text itself).
FORMATS = {".svg": "svg", ".pdf": "pdf", ".png": "png", ".dot": None, ".gv": None}


def output_format(path):
    """Returns the `dot -T` format for @path's extension (None for DOT).

    Raises Failure for an extension it does not know.
    """
    ext = os.path.splitext(path)[1].lower()
    if ext not in FORMATS:
        raise Failure("%s: unknown picture format %r; use one of %s"
                      % (path, ext or "(none)", ", ".join(sorted(FORMATS))), status=2)
    return FORMATS[ext]


def write_dot(manifest, dot_path, flow=None, guard=None):
    """Runs `bhc graph MANIFEST -o DOT_PATH [--flow A B [--except-through G]]`.

    Needs: bhc built. Raises Failure with bhc's messages and exit status (1 for
    an invalid manifest, 2 for bad usage such as an unknown domain in @flow).
    """
    if not os.path.exists(BHC):
        raise Failure("the manifest compiler %s was not built" % rel(BHC))
    argv = [BHC, "graph", rel(manifest), "-o", dot_path, "--image-dir", rel(IMAGE_DIR),
            "--memory", MEMORY]
    if flow:
        argv += ["--flow", flow[0], flow[1]]
    if guard:
        argv += ["--except-through", guard]
    status, output = run_quiet(argv)
    if status != 0:
        raise Failure(output.rstrip() or "bhc graph failed (exit status %d)" % status,
                      status=status if status in (1, 2) else 1)


def render(manifest, output, flow=None, guard=None):
    """Draws @manifest into @output (.svg, .pdf, .png, or .dot for the DOT text).

    @flow is (FROM, TO) to highlight every shortest path, @guard a domain those
    paths must avoid. Needs: bhc built; Graphviz's dot for anything but DOT.
    Returns: nothing. Raises Failure when bhc or dot fails or dot is missing.
    """
    output = os.path.abspath(output)
    fmt = output_format(output)
    if fmt and shutil.which("dot") is None:
        raise Failure("Graphviz's dot is not installed (Debian package graphviz); "
                      "`bulkhead graph` installs it when run as root")
    with tempfile.TemporaryDirectory(prefix="bulkhead-graph-") as tmp:
        dot_path = os.path.join(tmp, "system.dot")
        write_dot(manifest, dot_path, flow, guard)
        if fmt is None:
            shutil.copyfile(dot_path, output)
            return
        status, text = run_quiet(["dot", "-T" + fmt, dot_path, "-o", output])
        if status != 0:
            raise Failure("dot -T%s failed (exit status %d):\n%s" % (fmt, status, text.rstrip()))
