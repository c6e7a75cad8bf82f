#!/usr/bin/env bash
# Build llama-cpp-python for this CPU's instruction sets (scripts/cpu_flags.sh), and cache the wheel
# under a key made of the version and flags.
set -euo pipefail
PY="${1:?usage: install_llama.sh PYTHON}"
VERSION="0.3.36"
CACHE="${BOT_CACHE_DIR:-$HOME/.cache/ia-sante-bot}"

source "$(dirname "$0")/cpu_flags.sh"
export CMAKE_ARGS="$LLAMA_CMAKE_ARGS"
key=$(printf '%s %s' "$VERSION" "$CMAKE_ARGS" | sha256sum | cut -c1-16)
stamp="$("$PY" -c 'import sys; print(sys.prefix)')/.llama-$key"
[ -f "$stamp" ] && exit 0

wheels="$CACHE/wheels/llama-cpp-python-$key"
if ! ls "$wheels"/llama_cpp_python-*.whl >/dev/null 2>&1; then
  echo "Building llama-cpp-python $VERSION for this CPU (5-13 min on 2 cores)."
  echo "  CMAKE_ARGS=$CMAKE_ARGS"
  tmp="$wheels.partial.$$"
  rm -rf "$tmp" && mkdir -p "$tmp"
  CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
    "$PY" -m pip wheel --no-deps --no-cache-dir -v -w "$tmp" "llama-cpp-python==$VERSION" 2>&1 \
    | sed -nuE 's/^\s*\[([0-9]+\/[0-9]+)\].*/  compiling \1/p; /(Created wheel|error:|Error)/p' || true
  ls "$tmp"/llama_cpp_python-*.whl >/dev/null 2>&1 || { echo "llama-cpp-python build failed; rerun to retry." >&2; exit 1; }
  rm -rf "$wheels" && mv "$tmp" "$wheels"
fi
"$PY" -m pip install -q --force-reinstall --no-deps "$wheels"/llama_cpp_python-*.whl
"$PY" -m pip install -q diskcache jinja2 typing-extensions
touch "$stamp"
