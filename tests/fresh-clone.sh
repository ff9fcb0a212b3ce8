#!/usr/bin/env bash
# A new user's first test run: clones this repository's committed HEAD into an empty
# temporary folder (nothing beside it, so no ../shared) and runs the README's test
# command there. Uncommitted changes are not in the clone.
#
#   tests/fresh-clone.sh                 # cargo test in the clone (a full build)
#   tests/fresh-clone.sh --test import_corpus   # arguments go to cargo test
#
# FRESH_CLONE_TARGET_DIR=DIR reuses a cargo target folder between runs of this script
# (the clone's sources are still compiled from the clone). Not a checkout's own target/:
# test binaries keep the clone's path (CARGO_MANIFEST_DIR), and cargo may then run them
# there unrebuilt. The clone is deleted at the end.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

git clone --quiet --no-hardlinks "$repo" "$work/gongkai"
cd "$work/gongkai"
echo "fresh clone of $(git rev-parse --short HEAD) in $work/gongkai; beside it: $(ls -A ..)"
if [ -n "${FRESH_CLONE_TARGET_DIR:-}" ]; then
  export CARGO_TARGET_DIR="$FRESH_CLONE_TARGET_DIR"
fi
# What a user has: not CI's requirement of ../shared.
unset GONGKAI_REQUIRE_SHARED
cargo test "$@"
