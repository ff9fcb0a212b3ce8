#!/usr/bin/env python3
"""Quality of the two ways to index Chinese for a browser without a segmenter.

  bench/search_quality.py [--docs 1000] [--queries 600]      (needs: pip install jieba)

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
"""
import argparse
import os
import pathlib
import random
import re
import subprocess
import sys
import tempfile

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
    a = ap.parse_args()
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


if __name__ == "__main__":
    main()
