#!/usr/bin/env bash
# Index size, time and peak memory of gongkai's sharded index against elasticlunr-rs's
# own Index (same tokenizer), on generated corpora (docs/search.md has the figures).
#   bench/search_engines.sh [SIZES...]     default: 1000 3000 10000 (elasticlunr-rs up to 3000)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 3000 10000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo test --release --test search_scale --no-run --quiet
for n in "${sizes[@]}"; do
  python3 ../shared/tools/gen-corpus --docs "$n" --flavor gongkai --out "$work/c$n" >/dev/null
  engines=(gongkai)
  # elasticlunr-rs needs ~375 MB per 1,000 documents: keep it to small corpora.
  [ "$n" -le 3000 ] && engines+=(elasticlunr)
  for e in "${engines[@]}"; do
    GONGKAI_SEARCH_ENGINE=$e GONGKAI_SEARCH_CORPUS="$work/c$n/content" GONGKAI_SEARCH_OUT="$work/out-$n-$e" \
      cargo test --release --quiet --test search_scale -- --ignored --nocapture 2>&1 | grep '^engine='
    rm -rf "$work/out-$n-$e"
  done
  rm -rf "$work/c$n"
done
