#!/usr/bin/env bash
# Build llama.cpp's `llama-server` (parallel slots, continuous batching) from the llama.cpp sources that
# llama-cpp-python ships, the same version the product runs in-process, for this CPU (scripts/cpu_flags.sh),
# without its web UI. Prints the binary's path. For docs/DEPLOYMENT.md; the product does not need it.
set -euo pipefail
VERSION="0.3.36"
CACHE="${BOT_CACHE_DIR:-$HOME/.cache/ia-sante-bot}"
PY="${1:-python3}"

source "$(dirname "$0")/cpu_flags.sh"
key=$(printf '%s %s' "$VERSION" "$LLAMA_CMAKE_ARGS" | sha256sum | cut -c1-16)
out="$CACHE/llama-server-$key"
[ -x "$out/llama-server" ] && { echo "$out/llama-server"; exit 0; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "Building llama-server from llama-cpp-python $VERSION's llama.cpp (about 10 min on 2 cores)." >&2
"$PY" -m pip download -q --no-deps --no-binary :all: "llama-cpp-python==$VERSION" -d "$work" >&2
tar xzf "$work"/llama_cpp_python-"$VERSION".tar.gz -C "$work"
src="$work/llama_cpp_python-$VERSION/vendor/llama.cpp"
# shellcheck disable=SC2086
cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DLLAMA_CURL=OFF \
  -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF $LLAMA_CMAKE_ARGS >&2
cmake --build "$work/build" --target llama-server -j "$(nproc)" >&2
mkdir -p "$out.partial.$$"
cp "$work/build/bin/llama-server" "$out.partial.$$/"
rm -rf "$out" && mv "$out.partial.$$" "$out"
echo "$out/llama-server"
