#!/usr/bin/env bash
# Installs Schemathesis (PyPI) into a virtualenv in the fxcore cache, outside
# the work tree, once; prints the path of its `st` command. Used by the
# gateway's OpenAPI fuzz test and `gateway/fuzz/schemathesis.ts`.
set -euo pipefail
version="4.32.5"
cache="${FXCORE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fxcore}"
venv="$cache/schemathesis-$version"
# The marker is written last: an interrupted install is redone from scratch.
if [ ! -f "$venv/.complete" ]; then
  echo "fxcore: installing schemathesis $version into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version" >&2
  touch "$venv/.complete"
fi
echo "$venv/bin/st"
