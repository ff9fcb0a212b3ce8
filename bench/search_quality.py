#!/usr/bin/env python3
"""Quality of the two ways to index Chinese for a browser without a segmenter.

  bench/search_quality.py [--docs 1000] [--queries 600]      (needs: pip install jieba)
  bench/search_quality.py --engine-only [--docs 1000] [--engine-queries 150]   (needs: node)

Picks random substrings (2, 3, 4 and 6 Han characters) of titles and bodies of a
generated corpus (../shared/tools/gen-corpus; sentences of real reports) and compares,
for each, the documents that really contain it with what each index returns when every
query term must match (AND):
  - jieba: text and query both cut with jieba's cut_for_search, as elasticlunr-rs's `zh`
    feature does at build time (a browser would need the same dictionary to cut the
    query; without it the query is one term and recall is worse still);
  - bigram: Han unigrams + bigrams (gongkai's index), query as its bigrams.
Prints recall (share of true documents found) and precision (share of returned
documents that really contain the substring), and the size of jieba's dictionary, which
a browser-side segmenter would have to load.

Then the engine itself (unless --no-engine): the corpus is built with `gongkai build`
(target/release), and search.js, run in node on the written files
(tests/browser/search_harness.js), answers each substring quoted ("…": exact mode, every
result listed) and unquoted. Prints exact mode's precision and recall against the
documents whose title or rendered text hold the substring, and for unquoted queries
whether every such document ranks above those holding the pieces apart.
"""
import argparse
import json
import os
import pathlib
import random
import re
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
GEN = REPO.parent / "shared" / "tools" / "gen-corpus"
HAN = re.compile(r"[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def bigrams(s):
    out = set()
    for run in HAN.findall(s):
        out.update(run)
        out.update(run[i:i + 2] for i in range(len(run) - 1))
    return out


def query_bigrams(q):
    return {q} if len(q) == 1 else {q[i:i + 2] for i in range(len(q) - 1)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--queries", type=int, default=600)
    ap.add_argument("--engine-queries", type=int, default=150)
    ap.add_argument("--no-engine", action="store_true")
    ap.add_argument("--engine-only", action="store_true")
    a = ap.parse_args()
    if a.engine_only:
        engine(a.docs, a.engine_queries)
        return
    try:
        import jieba
    except ImportError:
        sys.exit("needs jieba: pip install jieba")
    jieba.setLogLevel(60)
    with tempfile.TemporaryDirectory() as work:
        subprocess.run([sys.executable, str(GEN), "--docs", str(a.docs), "--flavor", "gongkai", "--out", work],
                       check=True, stdout=subprocess.DEVNULL)
        docs = []
        for f in sorted(pathlib.Path(work, "content").rglob("*.md")):
            text = f.read_text(encoding="utf-8")
            head, _, body = text.partition("\n---\n")
            title = re.search(r"^标题: (.*)$", head, re.M).group(1)
            docs.append((title, body.replace("## ", "")))
    texts = [t + "\n" + b for t, b in docs]
    jieba_sets = [set(w for w in jieba.cut_for_search(t) if HAN.fullmatch(w)) for t in texts]
    bigram_sets = [bigrams(t) for t in texts]
    rng = random.Random(7)
    rows = {}
    for _ in range(a.queries):
        n = rng.choice([2, 3, 4, 6])
        title, body = docs[rng.randrange(len(docs))]
        runs = [r for r in HAN.findall(rng.choice([title, body])) if len(r) >= n]
        if not runs:
            continue
        r = rng.choice(runs)
        start = rng.randrange(len(r) - n + 1)
        q = r[start:start + n]
        truth = {i for i, t in enumerate(texts) if q in t}
        jq = set(w for w in jieba.cut_for_search(q) if HAN.fullmatch(w))
        bq = query_bigrams(q)
        jhit = {i for i, s in enumerate(jieba_sets) if jq and jq <= s}
        bhit = {i for i, s in enumerate(bigram_sets) if bq <= s}
        row = rows.setdefault(n, {"q": 0, "truth": 0, "j_found": 0, "j_ret": 0, "b_found": 0, "b_ret": 0, "j_zero": 0})
        row["q"] += 1
        row["truth"] += len(truth)
        row["j_found"] += len(truth & jhit)
        row["j_ret"] += len(jhit)
        row["b_found"] += len(truth & bhit)
        row["b_ret"] += len(bhit)
        row["j_zero"] += 1 if not (truth & jhit) else 0
    print(f"{a.docs} documents, {sum(r['q'] for r in rows.values())} substring queries (AND of the query's terms)")
    print(f"{'chars':>5} {'queries':>7} | {'jieba recall':>12} {'precision':>9} {'finds none':>10} | {'bigram recall':>13} {'precision':>9}")
    for n in sorted(rows):
        r = rows[n]
        print(f"{n:>5} {r['q']:>7} | {r['j_found'] / r['truth']:>12.1%} {r['j_found'] / max(1, r['j_ret']):>9.1%} "
              f"{r['j_zero'] / r['q']:>10.1%} | {r['b_found'] / r['truth']:>13.1%} {r['b_found'] / max(1, r['b_ret']):>9.1%}")
    d = pathlib.Path(jieba.__file__).parent / "dict.txt"
    if d.exists():
        print(f"jieba dictionary a browser would need: {d.stat().st_size / 1e6:.1f} MB ({sum(1 for _ in open(d, encoding='utf-8'))} words)")
    if not a.no_engine:
        engine(a.docs, a.engine_queries)


def plain_texts(site):
    """Per document (url path → title + body as the index sees it): the text parts the
    build wrote (in the record, then in its group files), joined; the title from its
    record."""
    out = {}
    for rec in (site / "search" / "d").rglob("*.js"):
        text = rec.read_text(encoding="utf-8")
        r = json.loads(text[text.index(",") + 1:text.rindex(");")])
        doc_id = int(rec.stem)
        parts = list(r["text"])
        folder = site / "search" / "x" / rec.parent.relative_to(site / "search" / "d")
        g = 0
        while len(parts) < r["parts"]:
            t = (folder / f"{doc_id}-{g}.js").read_text(encoding="utf-8")
            parts.extend(json.loads(t[t.index(",", t.index(",") + 1) + 1:t.rindex(");")]))
            g += 1
        out[r["url"]] = (r["title"], "".join(parts))
    return out


def engine(ndocs, nqueries):
    """Exact mode and phrase ranking of the real engine (search.js on a real build)."""
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    binary = REPO / "target" / "release" / "gongkai"
    with tempfile.TemporaryDirectory() as work:
        work = pathlib.Path(work)
        subprocess.run([sys.executable, str(GEN), "--docs", str(ndocs), "--flavor", "gongkai", "--out", str(work / "a")],
                       check=True, stdout=subprocess.DEVNULL)
        (work / "a" / "site.toml").write_text('title = "基准"\norganizer = "基准"\n', encoding="utf-8")
        site = work / "site"
        subprocess.run([str(binary), "build", "--root", str(work / "a"), "--output", str(site)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        docs = plain_texts(site)
        urls = sorted(docs)
        rng = random.Random(11)
        picked = []
        while len(picked) < nqueries:
            n = rng.choice([3, 4, 6])
            title, body = docs[urls[rng.randrange(len(urls))]]
            runs = [r for r in HAN.findall(rng.choice([title, body])) if len(r) >= n]
            if not runs:
                continue
            r = rng.choice(runs)
            start = rng.randrange(len(r) - n + 1)
            picked.append(r[start:start + n])
        requests = [{"q": f'"{q}"', "all": True} for q in picked] + [{"q": q, "all": True} for q in picked]
        harness = REPO / "tests" / "browser" / "search_harness.js"
        js = site / "assets" / "search.js"
        t0 = time.perf_counter()
        out = subprocess.run(["node", str(harness), str(site), str(js)], input=json.dumps(requests).encode(),
                             check=True, stdout=subprocess.PIPE).stdout
        elapsed = time.perf_counter() - t0
        answers = json.loads(out)
    rows = {}
    for i, q in enumerate(picked):
        quoted, plain = answers[i], answers[len(picked) + i]
        truth = {u for u, (t, b) in docs.items() if q in t or q in b}
        got = set(quoted["urls"])
        row = rows.setdefault(len(q), {"q": 0, "truth": 0, "ret": 0, "found": 0, "apart": 0, "ordered": 0})
        row["q"] += 1
        row["truth"] += len(truth)
        row["ret"] += len(got)
        row["found"] += len(truth & got)
        order = plain["urls"]
        row["apart"] += len(order) - len(truth & set(order))
        # Every document holding the phrase as typed comes before any holding it apart.
        head = order[:len(truth)]
        row["ordered"] += 1 if set(head) == truth else 0
    print(f"\nengine (search.js on a gongkai build of {ndocs} documents), {len(picked)} substrings, each quoted and "
          f"unquoted, every result listed ({elapsed:.1f} s in node)")
    print(f"{'chars':>5} {'queries':>7} | {'exact recall':>12} {'precision':>9} | {'unquoted: also apart':>20} {'as typed first':>14}")
    for n in sorted(rows):
        r = rows[n]
        print(f"{n:>5} {r['q']:>7} | {r['found'] / max(1, r['truth']):>12.1%} {r['found'] / max(1, r['ret']):>9.1%} | "
              f"{r['apart']:>20} {r['ordered'] / r['q']:>14.1%}")


if __name__ == "__main__":
    main()
