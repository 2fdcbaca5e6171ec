#!/usr/bin/env python3
"""tests/integration/test_report_html.py — the HTML report is well-formed,
self-contained, and its charts survive a real browser.

Two ways to run it:
  test_report_html.py               end to end (ctest): a real `socklab run`
                                    of a small model x clients matrix on
                                    loopback, `socklab report --format html`,
                                    then the checks below with KIND matrix
  test_report_html.py FILE KIND     check FILE (KIND: matrix, wire, compare),
                                    as test_report_compare.c does on its store;
                                    KIND width: only that it fits 1200 px
                                    (test_report_marks.c)

Checks: python's XML parser accepts the file (so it is well-formed); no
<script>, <link>, <img> or any http(s)/file reference besides the xmlns
names; the charts KIND expects are there with the right number of marks;
then headless Chromium loads the file (--dump-dom, bounded by a timeout) and
its DOM must hold exactly as many <svg>, <polyline>, <rect>, <circle> and
<text> elements as the XML parse found, and the axis labels. Exit 77 (skip)
only when chromium is not installed.
"""
import html.parser
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

BIN = os.environ.get("SOCKLAB_BIN", "./socklab")
SVG = "{http://www.w3.org/2000/svg}"
XHTML = "{http://www.w3.org/1999/xhtml}"
TAGS = ("svg", "polyline", "rect", "circle", "text")


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print("ok  " + msg)


def charts(root):
    return {s.get("id") or "anon%d" % i: s for i, s in enumerate(root.iter(SVG + "svg"))}


def bars(svg):
    """Marks that carry a tooltip: bars, points and timeline spans."""
    return [r for r in svg.iter(SVG + "rect") if r.find(SVG + "title") is not None]


def texts(svg):
    return ["".join(t.itertext()) for t in svg.iter(SVG + "text")]


def check_xml(path, kind):
    data = open(path, encoding="utf-8").read()
    root = ET.fromstring(data)           # raises on a malformed file
    check(root.tag == XHTML + "html", "%s: an XHTML <html> root" % kind)
    for bad in ("script", "link", "img", "iframe", "object"):
        check(not list(root.iter(XHTML + bad)), "%s: no <%s>" % (kind, bad))
    refs = re.findall(r'(?:src|href)\s*=\s*"[^"]*"|url\(', data)
    check(not refs, "%s: no external references (%s)" % (kind, refs[:3]))
    svgs = charts(root)
    for s in svgs.values():
        check(s.find(SVG + "title") is not None and s.get("viewBox"),
              "%s: chart '%s' has a title and a viewBox" % (kind, s.find(SVG + "title").text))
    if kind == "matrix":
        t = svgs.get("chart-throughput")
        check(t is not None, "matrix: throughput chart")
        lines = list(t.iter(SVG + "polyline"))
        check(len(lines) == 2, "matrix: one line per model (%d)" % len(lines))
        for ln in lines:
            pts = ln.get("points").split()
            check(len(pts) == 2, "matrix: a point per client count (%s)" % pts)
        tx = texts(t)
        check(any("clients" in x for x in tx), "matrix: x axis names the clients")
        check(any("requests/s" in x for x in tx), "matrix: y axis has its unit")
        lat = svgs.get("chart-latency")
        check(lat is not None, "matrix: latency chart")
        nb = len(bars(lat))
        check(nb >= 3 * 4 and nb % 3 == 0, "matrix: 3 percentile bars per case (%d)" % nb)
        check(any("log scale" in x for x in texts(lat)), "matrix: latency axis says log scale")
        check(root.find(".//" + XHTML + "table") is not None, "matrix: the case table")
    elif kind == "wire":
        lanes = [g for g in root.iter(SVG + "g") if g.get("class") == "lane"]
        check(len(lanes) == 3, "wire: a timeline with 3 lanes")
        counts = [len(bars(g)) for g in lanes]
        check(counts == [20, 11, 1], "wire: 20 sends, 11 segments, 1 recv (%s)" % counts)
        tl_text = texts(next(s for s in svgs.values() if lanes[0] in list(s.iter(SVG + "g"))))
        check(any("bytes" in x for x in tl_text) and any("µs" in x or "ms" in x for x in tl_text),
              "wire: timeline axes in bytes and time")
        u = svgs.get("chart-udp")
        check(u is not None, "wire: UDP stacked bar")
        vals = sorted(r.find(SVG + "title").text for r in bars(u))
        check(len(vals) == 2 and any("991" in v for v in vals) and any(": 9" in v for v in vals),
              "wire: UDP bar parts 991 dropped + 9 received (%s)" % vals)
        check("1000" in texts(u), "wire: the UDP bar's total is 1000")
    elif kind == "compare":
        c = svgs.get("chart-compare")
        check(c is not None, "compare: throughput per case and run")
        check(len(bars(c)) == 8, "compare: 4 cases x 2 runs bars (%d)" % len(bars(c)))
        check("significant" in data, "compare: the noise rule is explained")
    else:
        fail("unknown kind " + kind)
    return {t: sum(1 for _ in root.iter(SVG + t)) for t in TAGS}


class Counter(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.n = {t: 0 for t in TAGS}
        self.text = []

    def handle_starttag(self, tag, attrs):
        if tag in self.n:
            self.n[tag] += 1

    def handle_data(self, d):
        self.text.append(d)


def check_chromium(path, kind, want):
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        print("SKIP: chromium is not installed (apt-get install chromium)")
        sys.exit(77)
    with tempfile.TemporaryDirectory(prefix="socklab-chromium-") as prof:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update",
               "--disable-default-apps", "--no-first-run", "--user-data-dir=" + prof,
               "--dump-dom", "file://" + os.path.abspath(path)]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            fail("%s: chromium did not finish in 60 s" % kind)
    check(p.returncode == 0 and "<svg" in p.stdout,
          "%s: chromium rendered the file (status %d)" % (kind, p.returncode))
    c = Counter()
    c.feed(p.stdout)
    check(c.n == want, "%s: chromium's DOM has the same SVG elements %s as the file %s"
          % (kind, c.n, want))
    check("parsererror" not in p.stdout, "%s: no parser error in the DOM" % kind)


WIDTH_JS = """<script>
var w = document.documentElement.scrollWidth, t = 0;
for (const e of document.querySelectorAll("table, svg")) t = Math.max(t, e.getBoundingClientRect().right);
document.body.setAttribute("data-w", w + " " + Math.ceil(t));
</script>"""


def check_width(path, kind, limit=1200):
    """Chromium at a 1200 px wide window: the page does not scroll sideways and
    no table or chart ends past the window (measured by a script injected into
    a copy: the report itself has none)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        print("SKIP: chromium is not installed (apt-get install chromium)")
        sys.exit(77)
    with tempfile.TemporaryDirectory(prefix="socklab-chromium-") as prof:
        copy = os.path.join(prof, "w.html")
        text = open(path, encoding="utf-8").read()
        check("</body>" in text, "%s: the page has a body end" % kind)
        open(copy, "w", encoding="utf-8").write(text.replace("</body>", WIDTH_JS + "</body>"))
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update",
               "--disable-default-apps", "--no-first-run", "--user-data-dir=" + prof,
               "--window-size=%d,1600" % limit, "--dump-dom", "file://" + copy]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            fail("%s: chromium did not finish in 60 s" % kind)
    m = re.search(r'data-w="(\d+) (\d+)"', p.stdout)
    check(m is not None, "%s: chromium measured the page" % kind)
    page, right = int(m.group(1)), int(m.group(2))
    check(page <= limit and right <= limit,
          "%s: page %d px, rightmost table or chart ends at %d px: within %d px"
          % (kind, page, right, limit))


def check_file(path, kind):
    if kind == "width":
        check_width(path, kind)
        return
    want = check_xml(path, kind)
    check_chromium(path, kind, want)


SCENARIO = """name: report-html-test
server:
  proto: tcp
  handler: echo
  model: [thread, epoll]
clients:
  count: [1, 4]
  size: 64
warmup: 100ms
duration: 300ms
"""


def end_to_end():
    with tempfile.TemporaryDirectory(prefix="socklab-rhtml-") as d:
        scn, db, out = os.path.join(d, "s.yaml"), os.path.join(d, "s.db"), os.path.join(d, "r.html")
        open(scn, "w").write(SCENARIO)
        p = subprocess.run([BIN, "run", "--db", db, scn], capture_output=True, text=True,
                           timeout=120)
        check(p.returncode == 0, "socklab run of a 2 x 2 matrix (status %d) %s"
              % (p.returncode, p.stderr[-500:]))
        p = subprocess.run([BIN, "report", "--db", db, "--format", "html", "-o", out],
                           capture_output=True, text=True, timeout=60)
        check(p.returncode == 0 and os.path.getsize(out) > 1000,
              "socklab report --format html (status %d) %s" % (p.returncode, p.stderr))
        check_file(out, "matrix")
        check_width(out, "matrix")


if __name__ == "__main__":
    if len(sys.argv) == 3:
        check_file(sys.argv[1], sys.argv[2])
    elif len(sys.argv) == 1:
        end_to_end()
    else:
        print(__doc__)
        sys.exit(2)
    print("all passed")
