#!/usr/bin/env python3
"""How far one gongkai's search ranking moved from another's, on the same documents.

  bench/search_ranking.py --old-bin OLD_GONGKAI [--old-js OLD_SEARCH_JS] [--docs 10000] [--queries 200]

Builds the same generated corpus (../shared/tools/gen-corpus --flavor gongkai) with the
old binary and with target/release/gongkai, then runs the same random queries (substrings
of 2–6 Han characters of the bodies, a quarter with a second two-character word) through
each build's own search.js in node. For each query it scores the new top ten with the OLD
ranking (the `key` search.js gives every hit: exact number, then title words, then
score) and compares that with the old top ten: the share of the old score the new top
ten lose (0 when the new ten are the old ten or tie with them). Also prints how many
queries keep their total, their first result and their whole top ten.

Used for search format 4 (weights quantised into the postings) against format 3 (the
exact model): pass format 3's binary and its search.js (`git show faacc6b:themes/default/
static/assets/search.js > old.js`; a binary embeds its own theme, so the build already
writes the right search.js and --old-js is only needed to override it).
"""
import argparse
import json
import pathlib
import random
import re
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parent.parent
GEN = REPO.parent / "shared" / "tools" / "gen-corpus"
BIN = REPO / "target" / "release" / "gongkai"
HAN = re.compile(r"[\u4e00-\u9fff]+")

# Runs each query with a build's search.js in node; prints per query the top ten ids and
# (with "all") every hit's ranking key.
KEYS_JS = r"""
"use strict";
const fs = require("fs"), path = require("path"), vm = require("vm");
const { pathToFileURL, fileURLToPath } = require("url");
const [root, searchJs, mode] = process.argv.slice(2);
vm.runInThisContext(fs.readFileSync(searchJs, "utf8"));
const G = globalThis.gongkaiSearch;
G.setBase(pathToFileURL(path.join(root, "assets", "search.js")).href);
G.loadScript = (url, onError) => setImmediate(() => {
  try { vm.runInThisContext(fs.readFileSync(fileURLToPath(url), "utf8")); } catch (e) { onError(e); }
});
const queries = JSON.parse(fs.readFileSync(0, "utf8"));
(async () => {
  const out = [];
  for (const q of queries) {
    const res = await G.search(q, {});
    const item = { total: res.total, top: res.hits.slice(0, 10).map((h) => h.id) };
    if (mode === "all") {
      item.keys = {};
      res.hits.forEach((h) => (item.keys[h.id] = h.key));
    }
    out.push(item);
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
"""


def pick_queries(content, n, rng):
    files = sorted(content.rglob("*.md"))
    out = []
    while len(out) < n:
        body = files[rng.randrange(len(files))].read_text(encoding="utf-8").split("---", 2)[2]
        runs = [r for r in HAN.findall(body) if len(r) >= 6]
        if not runs:
            continue
        run = rng.choice(runs)
        size = rng.choice([2, 2, 3, 4, 6])
        start = rng.randrange(len(run) - size + 1)
        q = run[start:start + size]
        if rng.random() < 0.25:
            q += " " + rng.choice(runs)[:2]
        out.append(q)
    return out


def answers(keys_js, site, search_js, queries, mode):
    out = subprocess.run(["node", str(keys_js), str(site), str(search_js), mode], input=json.dumps(queries),
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old-bin", required=True, help="the gongkai binary whose ranking is the reference")
    ap.add_argument("--old-js", help="search.js to run the old build with (default: the one it wrote)")
    ap.add_argument("--docs", type=int, default=10000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--work", help="work folder (default: a temporary one)")
    a = ap.parse_args()
    work = pathlib.Path(a.work or tempfile.mkdtemp(prefix="gongkai-ranking-"))
    archive = work / "archive"
    if not (archive / "content").is_dir():
        subprocess.run([sys.executable, str(GEN), "--docs", str(a.docs), "--flavor", "gongkai", "--out", str(archive)],
                       check=True, stdout=subprocess.DEVNULL)
        (archive / "site.toml").write_text('title = "基准"\norganizer = "基准"\n', encoding="utf-8")
    sites = {}
    for name, binary in [("old", a.old_bin), ("new", str(BIN))]:
        site = work / name
        subprocess.run([binary, "build", "--root", str(archive), "--output", str(site), "--offline", "--clean"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sites[name] = site
    keys_js = work / "keys.js"
    keys_js.write_text(KEYS_JS, encoding="utf-8")
    queries = pick_queries(archive / "content", a.queries, random.Random(7))
    old = answers(keys_js, sites["old"], a.old_js or sites["old"] / "assets" / "search.js", queries, "all")
    new = answers(keys_js, sites["new"], sites["new"] / "assets" / "search.js", queries, "top")

    losses, tiers_moved = [], 0
    for o, n in zip(old, new):
        if not o["top"]:
            continue
        ko = [o["keys"][str(i)] for i in o["top"]]
        kn = [o["keys"].get(str(i), 0) for i in n["top"]]
        if sorted(k // 1e6 for k in ko) != sorted(k // 1e6 for k in kn):
            tiers_moved += 1
        losses.append((sum(ko) - sum(kn)) / sum(ko) if sum(ko) else 0.0)
    losses.sort()
    count = len(losses)
    same_total = sum(o["total"] == n["total"] for o, n in zip(old, new))
    same_first = sum(o["top"][:1] == n["top"][:1] for o, n in zip(old, new))
    same_ten = sum(o["top"] == n["top"] for o, n in zip(old, new))
    overlap = sum(len(set(o["top"]) & set(n["top"])) / max(1, len(o["top"])) for o, n in zip(old, new)) / len(old)
    print(f"{len(queries)} queries on {a.docs} documents")
    print(f"old score the new top ten lose: median {100 * losses[count // 2]:.2f}%, "
          f"90th percentile {100 * losses[int(count * 0.9)]:.2f}%, worst {100 * losses[-1]:.2f}%")
    print(f"queries whose top ten changed title tiers (exact number / words in the title): {tiers_moved}")
    print(f"same total {same_total}, same first result {same_first}, same top ten {same_ten}, "
          f"mean top-ten overlap {100 * overlap:.1f}%")


if __name__ == "__main__":
    main()
