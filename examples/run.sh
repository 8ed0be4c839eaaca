#!/usr/bin/env bash
# The main job on the bundled example: copy it, fix it in place, show what changed,
# then run the fixed programs under python3.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -R "$here/demo" "$work/demo"
cd "$work/demo"
echo "\$ spawnsafe fix ."
node "$here/../bin/spawnsafe.js" fix .
echo
echo "\$ diff -ru original fixed"
diff -ru "$here/demo" "$work/demo" || true
echo
echo "\$ python3 app.py   # the fixed program, now under spawn"
timeout 120 python3 app.py
echo "\$ python3 quick.py"
timeout 60 python3 quick.py
echo
echo "\$ spawnsafe fix --dry-run .   # a second run finds nothing to change"
node "$here/../bin/spawnsafe.js" fix --dry-run .
