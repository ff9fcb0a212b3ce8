#!/usr/bin/env python3
"""Benchmark of the search index: size, first-query bytes and query latency.

  bench/search.py                     # 10,000 documents
  bench/search.py --docs 1000 --runs 3
  bench/search.py --docs 100000 --no-browser   # build memory and size only
  bench/search.py --archive DIR --node --work W  # an existing archive (e.g. bench/run's
                                      # 300,000 documents): first-query bytes in node

Generates the corpus with ../shared/tools/gen-corpus --flavor gongkai, builds it with the
release binary as an offline copy (`gongkai build --offline`), then prints:
  - build wall time and peak memory (max RSS of the build process);
  - Markdown bytes, index bytes (everything under search/ but the page), their ratio;
  - per query, opened cold in headless Chromium from file:// (`search/index.html?q=…`):
    index bytes the first query loaded (the files search.js reports it loaded), time
    from the query's start to rendered results, time from navigation start, the rank of
    the document the query was picked from.
Queries are picked from the generated corpus at run time (a title substring, a body
substring, two body words, two broad two-character words, a 6-character phrase, the same
kind quoted, an exact 索引号 and 文号, a single character), so nothing
of the corpus is stored here. Figures are from one run on a shared machine: rerun to
see the spread.
"""
import argparse
import json
import os
import pathlib
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

REPO = pathlib.Path(__file__).resolve().parent.parent
GEN = REPO.parent / "shared" / "tools" / "gen-corpus"
BIN = REPO / "target" / "release" / "gongkai"
NICE = []
BASE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{% block title %}{% endblock title %}</title>{% block head %}{% endblock head %}</head><body><main id="main">{% block content %}{% endblock content %}</main>{% block scripts %}{% endblock scripts %}</body></html>"""


def run(cmd):
    """Runs cmd; returns (ok, output, wall seconds, peak RSS MB of it and its children)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    return os.waitstatus_to_exitcode(status) == 0, out, time.perf_counter() - start, usage.ru_maxrss / 1024


def build(archive, out):
    cmd = [str(BIN), "build", "--root", str(archive), "--offline", "--base-url", f"{out}/", "--output", str(out)]
    ok, text, wall, rss = run(cmd)
    if not ok and "has no template" in text:
        # This branch's theme may lack the templates written elsewhere: stand-ins.
        tpl = archive / "templates"
        tpl.mkdir(exist_ok=True)
        for name in re.findall(r"has no template `([^`]+)`", text):
            (tpl / name).write_text(BASE if name == "base.html" else "stub", encoding="utf-8")
        print(f"note: stand-in templates for {', '.join(sorted(os.listdir(tpl)))}")
        ok, text, wall, rss = run(cmd)
    if not ok:
        sys.exit(f"build failed:\n{text}")
    return wall, rss


def front(text, key):
    m = re.search(rf"^{key}: (.*)$", text, re.M)
    return m.group(1).strip().strip('"') if m else ""


def pick_queries(content, rng):
    files = sorted(content.rglob("*.md"))
    queries = []

    def doc(i):
        f = files[i % len(files)]
        text = f.read_text(encoding="utf-8")
        body = text.split("\n---\n", 1)[1] if "\n---\n" in text else text
        url = str(f.relative_to(content))[:-3] + "/"
        return text, body, url

    def han_run(s, n):
        runs = [m.group(0) for m in re.finditer(r"[\u4e00-\u9fff]{%d,}" % n, s)]
        r = rng.choice(runs)
        start = rng.randrange(0, len(r) - n + 1)
        return r[start:start + n]

    text, body, url = doc(rng.randrange(len(files)))
    queries.append(("title substring", han_run(front(text, "标题"), 4), url))
    text, body, url = doc(rng.randrange(len(files)))
    queries.append(("body substring", han_run(body, 4), url))
    text, body, url = doc(rng.randrange(len(files)))
    queries.append(("two body words", han_run(body, 2) + " " + han_run(body, 3), url))
    for _ in range(2):
        while True:
            text, body, url = doc(rng.randrange(len(files)))
            word = han_run(body, 2)
            if all(word != q for _, q, _ in queries):
                break
        queries.append(("two characters", word, url))
    text, body, url = doc(rng.randrange(len(files)))
    queries.append(("phrase (6 chars)", han_run(body, 6), url))
    text, body, url = doc(rng.randrange(len(files)))
    queries.append(("quoted phrase", "“" + han_run(body, 6) + "”", url))
    text, body, url = doc(rng.randrange(len(files)))
    queries.append(("索引号", front(text, "索引号"), url))
    for _ in range(1000):
        text, body, url = doc(rng.randrange(len(files)))
        if front(text, "文号"):
            queries.append(("文号 with [] brackets", front(text, "文号").replace("〔", "[").replace("〕", "]"), url))
            break
    queries.append(("single character", "局", ""))
    return queries


def chromium():
    for c in ["chromium", "chromium-browser", "google-chrome"]:
        p = shutil.which(c)
        if p:
            return p
    sys.exit("headless Chromium is needed: apt-get install -y chromium")


def query_once(chrome, out, q):
    """One cold page load. Without a virtual time budget Chromium dumps the DOM at the
    load event, which the index scripts that search.js inserts hold back, so the times
    are real; with a budget (the fallback) they are Chromium's virtual clock."""
    url = (out / "search" / "index.html").as_uri() + "?q=" + urllib.parse.quote(q)
    for budget in ([], ["--virtual-time-budget=20000"]):
        with tempfile.TemporaryDirectory() as profile:
            dom = subprocess.run(
                [*NICE, chrome, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--no-first-run", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={profile}", *budget, "--dump-dom", url],
                capture_output=True, text=True, timeout=120).stdout
        m = re.search(r'<p id="search-status"([^>]*)>([^<]*)', dom)
        if m and "data-page-ms" in m.group(1):
            break
    else:
        return None
    attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', m.group(1)))
    files = attrs.get("data-files", "").split()
    links = re.findall(r'<li data-doc="\d+"[^>]*><h2 class="search-title"><a href="([^"]+)"', dom)
    return {
        "status": m.group(2),
        "query_ms": float(attrs.get("data-query-ms", "nan")),
        "page_ms": float(attrs.get("data-page-ms", "nan")),
        "first_ms": float(attrs.get("data-first-ms", "nan")),
        "bytes": sum((out / "search" / f).stat().st_size for f in files),
        "files": len(files),
        "links": links,
        "timing": attrs.get("data-timing", ""),
        "virtual": bool(budget),
    }


def node_first_queries(archive, out, rng):
    """The same queries, each run cold in its own node process with search.js on the written
    files (tests/browser/search_harness.js): the index bytes its first page of ten results
    loads (the filters' fact files come after the first page, as on the page)."""
    harness = REPO / "tests" / "browser" / "search_harness.js"
    print()
    print(f"{'query':22} {'text':24} {'results':>7} {'1st-query kB':>12} {'files':>5}  largest file")
    sizes = []
    for kind, q, _ in pick_queries(archive / "content", rng):
        answer = subprocess.run(["node", str(harness), str(out), str(out / "assets" / "search.js")],
                                input=json.dumps([{"q": q}]), capture_output=True, text=True, check=True).stdout
        r = json.loads(answer)[0]
        files = [(out / "search" / f).stat().st_size for f in r["files"]]
        sizes.append(sum(files))
        print(f"{kind:22} {q[:22]:24} {r['total']:>7} {sum(files) / 1e3:>12.0f} {len(files):>5}  {max(files) / 1e3:.0f} kB")
    print()
    print(f"first-query index data: median {statistics.median(sizes) / 1e3:.0f} kB, largest {max(sizes) / 1e3:.0f} kB "
          f"(target ≤ 1000 kB at any size)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=7, help="cold page loads per query")
    ap.add_argument("--work", default=None, help="work folder (default: a temporary one)")
    ap.add_argument("--no-build", action="store_true", help="reuse target/release/gongkai as it is")
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--archive", default=None,
                    help="build this gongkai archive (its site.toml is kept) instead of generating --docs documents")
    ap.add_argument("--node", action="store_true",
                    help="no Chromium: run each query cold in node (search.js on the written files) and print the "
                         "index bytes its first page of results loads; for archives too large to time in a browser")
    ap.add_argument("--reuse-site", action="store_true",
                    help="with --work: keep the site an earlier run built (only re-time the queries)")
    ap.add_argument("--phases", action="store_true", help="print each run's phase times")
    ap.add_argument("--nice", type=int, default=0,
                    help="run Chromium at this niceness (negative needs root): on a shared machine, "
                         "shows the page's own cost rather than the queue for the cores")
    a = ap.parse_args()
    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    work = pathlib.Path(a.work or tempfile.mkdtemp(prefix="gongkai-search-bench-"))
    archive, out = work / "archive", work / "usb"
    if a.archive:
        archive = pathlib.Path(a.archive).resolve()
        a.docs = sum(1 for _ in (archive / "content").rglob("*.md"))
    else:
        if not (archive / "content").is_dir():
            subprocess.run([sys.executable, str(GEN), "--docs", str(a.docs), "--flavor", "gongkai", "--out", str(archive)],
                           check=True, stdout=subprocess.DEVNULL)
        (archive / "site.toml").write_text('title = "基准"\nbase_url = "/"\norganizer = "基准"\nper_page = 20\n',
                                           encoding="utf-8")
    if a.reuse_site and (out / "search" / "core.js").is_file():
        wall, rss = float("nan"), float("nan")
    else:
        wall, rss = build(archive, out)
    md = sum(f.stat().st_size for f in (archive / "content").rglob("*.md"))
    index_files = [f for f in (out / "search").rglob("*") if f.is_file() and f.name != "index.html"]
    index = sum(f.stat().st_size for f in index_files)
    print(f"documents            {a.docs}")
    print(f"build                {wall:.1f} s wall, {rss:.0f} MB peak RSS (whole build: pages + index)")
    print(f"markdown             {md / 1e6:.1f} MB")
    print(f"index                {index / 1e6:.1f} MB in {len(index_files)} files, ratio {index / md:.3f} to the Markdown")
    core = (out / "search" / "core.js").stat().st_size
    js = (out / "assets" / "search.js").stat().st_size
    print(f"core.js              {core / 1e3:.0f} kB (loaded by every first query); search.js {js / 1e3:.0f} kB")
    if a.no_browser:
        return
    if a.node:
        node_first_queries(archive, out, random.Random(20261201))
        return
    chrome = chromium()
    if a.nice:
        NICE.extend(["nice", "-n", str(a.nice)])
    rng = random.Random(20261201)
    print()
    print("times in ms, median/max of the runs; 'first' and 'all 10' are since navigation start (page")
    print("load included); 'query' is from the query's start to the tenth result shown")
    print(f"{'query':22} {'text':24} {'results':>7} {'rank':>4} {'1st-query kB':>12} {'files':>5} "
          f"{'first result':>13} {'all 10':>11} {'query':>11}")
    worst_bytes = 0
    all_bytes = []
    medians = []
    worst_ms = 0.0
    worst_all = 0.0
    for kind, q, url in pick_queries(archive / "content", rng):
        runs = [r for r in (query_once(chrome, out, q) for _ in range(a.runs)) if r]
        if not runs:
            print(f"{kind:24} {q:28} no result page")
            continue
        r0 = runs[0]
        rank = "-"
        if url:
            hits = [i for i, l in enumerate(r0["links"]) if l.endswith(url + "index.html")]
            rank = str(hits[0] + 1) if hits else ">10"
        qms = [r["query_ms"] for r in runs]
        pms = [r["page_ms"] for r in runs]
        fms = [r["first_ms"] for r in runs]
        count = "–".join(re.findall(r"\d+", r0["status"])) or "0"
        worst_bytes = max(worst_bytes, r0["bytes"])
        all_bytes.append(r0["bytes"])
        medians.append(statistics.median(fms))
        worst_ms = max(worst_ms, statistics.median(fms))
        worst_all = max(worst_all, statistics.median(pms))
        virtual = " (virtual clock)" if any(r["virtual"] for r in runs) else ""

        def mm(xs):
            return f"{statistics.median(xs):.0f}/{max(xs):.0f}"

        print(f"{kind:22} {q[:22]:24} {count:>7} {rank:>4} {r0['bytes'] / 1e3:>12.0f} {r0['files']:>5} "
              f"{mm(fms):>13} {mm(pms):>11} {mm(qms):>11}{virtual}")
        if a.phases:
            for r in runs:
                print(f"{'':22}   phases since query start (ms): {r['timing']}")
    print()
    print(f"first-query index data: median {statistics.median(all_bytes) / 1e3:.0f} kB (target ≤ 300 kB), "
          f"largest {worst_bytes / 1e3:.0f} kB (target ≤ 1000 kB)")
    print(f"time to the first result since navigation start, median of the queries' medians: "
          f"{statistics.median(medians):.0f} ms (target ≤ 300 ms)")
    print(f"slowest median time to the first result since navigation start: {worst_ms:.0f} ms (target ≤ 300 ms)")
    print(f"slowest median time to all ten results since navigation start: {worst_all:.0f} ms")
    print(f"load average now: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    if not a.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
