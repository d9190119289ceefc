"""Tests of `bulkhead graph`: renders manifests to SVG with bhc and Graphviz and reads the SVG back.

Needs the build (bhc and build/images, as `bulkhead test` makes them) and
Graphviz's dot, which `bulkhead test` installs: without them the tests fail.
"""

import os
import shutil
import tempfile
import unittest
import xml.etree.ElementTree as ET

from bulkhead import graph
from bulkhead.util import BHC, ROOT

SVG = "{http://www.w3.org/2000/svg}"
RED = "#d62728"
GREY = "#c8c8c8"
DEMO = os.path.join(ROOT, "manifests", "demo.xml")
CONSOLE = os.path.join(ROOT, "tests", "flow", "console.xml")


def expected_elements(manifest):
    """Reads @manifest (independently of bhc) and returns {svg id: label text it must show}.

    Domains (dom_NAME), rings (edge_ring_NAME) and stdout rings, channels,
    regions (one edge per writer and reader), I/O ports and the kernel log.
    """
    root = ET.parse(manifest).getroot()
    domains = root.findall("domain")
    want = {"dom_" + d.get("name"): d.get("name") for d in domains}
    console = [d.get("name") for d in domains if d.get("image") == "console"]
    for ring in root.findall("ring"):
        want["edge_ring_" + ring.get("name")] = "ring:" + ring.get("name")
    for d in domains:
        if console and d.get("name") != console[0]:
            want["edge_ring_stdout." + d.get("name")] = "stdout"
        for io in d.findall("ioport"):
            base, count = int(io.get("base"), 0), int(io.get("count"), 0)
            last = "" if count == 1 else "..0x%x" % (base + count - 1)
            want["io_0x%x_%d" % (base, count)] = "0x%x%s" % (base, last)
            want["edge_io_0x%x_%d" % (base, count)] = "rw"
    if console:
        want["edge_klog"] = "klog (r)"
        want["node_kernel"] = "kernel"
    for ch in root.findall("channel"):
        ends = [e.get("domain") for e in ch.findall("end")]
        name = ch.get("name") or "%s_%s" % tuple(ends)
        want["edge_chan_" + name] = "chan:" + (ch.get("name") or "%s/%s" % tuple(ends))
    want.update(_region_edges(domains))
    return want


def _region_edges(domains):
    """{edge id: label} for each region: writer -> reader pairs, or a node if none."""
    maps = {}
    for d in domains:
        for m in d.findall("map"):
            maps.setdefault(m.get("region"), []).append((d.get("name"), m.get("perms")))
    want = {}
    for region, users in maps.items():
        pairs = [(w, r) for w, wp in users for r, _ in users if w != r and "w" in wp]
        for w, r in pairs:
            if (r, w) not in pairs or (w, r) < (r, w):
                want["edge_region_%s_%s_%s" % (region, w, r)] = "region:" + region
        if not pairs:
            want["region_" + region] = "region " + region
    return want


def render(manifest, flow=None, guard=None):
    """Renders @manifest to SVG in a scratch directory; returns {id: <g> element}."""
    with tempfile.TemporaryDirectory(prefix="bulkhead-graph-test-") as tmp:
        out = os.path.join(tmp, "system.svg")
        graph.render(manifest, out, flow, guard)
        tree = ET.parse(out)
    return {g.get("id"): g for g in tree.iter(SVG + "g") if g.get("id")}, tree


def text_of(element):
    """All the text inside an SVG element, joined by spaces."""
    return " ".join(t.text or "" for t in element.iter(SVG + "text"))


def strokes(element):
    """The stroke colours of the element's drawn shapes."""
    return {e.get("stroke") for e in element.iter() if e.get("stroke") not in (None, "none")}


class GraphTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Failures, not skips: `bulkhead test` builds bhc and installs Graphviz first.
        if shutil.which("dot") is None:
            raise AssertionError("Graphviz's dot is missing: run `bulkhead test`, "
                                 "which installs the graphviz package")
        if not os.path.exists(BHC):
            raise AssertionError("bhc is not built (%s): run `bulkhead build`" % BHC)

    def assert_complete(self, manifest, ids):
        for element_id, text in expected_elements(manifest).items():
            self.assertIn(element_id, ids, "%s: no SVG element %s" % (manifest, element_id))
            self.assertIn(text, text_of(ids[element_id]), element_id)

    def test_demo_has_every_domain_and_edge(self):
        ids, tree = render(DEMO)
        self.assert_complete(DEMO, ids)
        self.assertIn("edge_region_shared_ping_pong", ids)
        self.assertIn("region:shared (rw -> r)", text_of(ids["edge_region_shared_ping_pong"]))
        self.assertIn("ring:log 16K", text_of(ids["edge_ring_log"]))
        self.assertIn("chan:pp (s, s)", text_of(ids["edge_chan_pp"]))
        title = text_of(tree.getroot())
        self.assertIn("System demo", title)
        self.assertIn("boot plan CRC-32 0x", title)
        for legend in ("legend", "driver", "service", "application", "I/O ports", "klog"):
            self.assertIn(legend, title)
        for cluster in ("cluster_service", "cluster_application"):
            self.assertIn(cluster, ids)
        self.assertNotIn(RED, " ".join(" ".join(strokes(g)) for g in ids.values()))

    def test_flow_highlights_the_path(self):
        ids, tree = render(DEMO, ("faulty", "pong"))
        self.assertIn("flow faulty \u2192 pong: yes, 1 shortest path of 2 hops",
                      text_of(tree.getroot()))
        for on_path in ("edge_ring_stdout.faulty", "edge_ring_stdout.pong",
                        "dom_faulty", "dom_console", "dom_pong"):
            self.assertIn(RED, strokes(ids[on_path]), on_path)
        for off_path in ("edge_ring_log", "edge_chan_pp", "edge_region_shared_ping_pong",
                         "edge_ring_stdout.ping", "dom_ping", "edge_klog"):
            self.assertNotIn(RED, strokes(ids[off_path]), off_path)
            self.assertIn(GREY, strokes(ids[off_path]), off_path)

    def test_roles_and_test_manifest(self):
        ids, _ = render(CONSOLE)
        self.assert_complete(CONSOLE, ids)
        fills = {name: {e.get("fill") for e in ids["dom_" + name].iter()}
                 for name in ("console", "bob", "kbd", "alice")}
        self.assertIn("#d5e5f6", fills["bob"])      # role="service"
        self.assertIn("#d5e5f6", fills["console"])  # the console: a service
        self.assertIn("#fbe3c9", fills["kbd"])      # I/O ports: a driver
        # No path avoids the console: nothing is red but the two ends.
        ids, tree = render(CONSOLE, ("alice", "bob"), "console")
        self.assertIn("flow alice \u2192 bob not through console: no", text_of(tree.getroot()))
        red = [i for i, g in ids.items() if i != "system" and RED in strokes(g)]
        self.assertEqual(sorted(red), ["dom_alice", "dom_bob"])

    def test_unknown_domain_is_a_usage_error(self):
        with self.assertRaises(graph.Failure) as ctx:
            render(DEMO, ("ping", "nobody"))
        self.assertEqual(ctx.exception.status, 2)
        self.assertIn("no domain 'nobody'", str(ctx.exception))

    def test_dot_output_and_bad_format(self):
        with tempfile.TemporaryDirectory(prefix="bulkhead-graph-test-") as tmp:
            out = os.path.join(tmp, "demo.dot")
            graph.render(DEMO, out)
            with open(out, encoding="utf-8") as f:
                self.assertIn('id="dom_ping"', f.read())
        with self.assertRaises(graph.Failure):
            graph.output_format("picture.bmp")


if __name__ == "__main__":
    unittest.main()
