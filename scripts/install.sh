#!/usr/bin/env bash
# Installs segma under PREFIX (default /usr/local): the binary, the default model,
# the man page and bash/zsh/fish completions.
#
#   scripts/install.sh [--binary PATH] [PREFIX]
#
# Without --binary it builds the release binary first. An installed segma finds
# PREFIX/share/segma/default.segma by itself, from any folder, with no --model.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=""
if [[ "${1:-}" == "--binary" ]]; then
  binary=$2
  shift 2
fi
prefix=${1:-/usr/local}
if [[ -z "$binary" ]]; then
  swift build -c release
  binary=.build/release/segma
fi
install -d "$prefix/bin" "$prefix/share/segma" "$prefix/share/man/man1" \
  "$prefix/share/bash-completion/completions" "$prefix/share/zsh/site-functions" \
  "$prefix/share/fish/vendor_completions.d"
install -m 755 "$binary" "$prefix/bin/segma"
install -m 644 models/fashion-mnist.segma "$prefix/share/segma/default.segma"
install -m 644 man/segma.1 "$prefix/share/man/man1/segma.1"
"$prefix/bin/segma" --generate-completion-script bash >"$prefix/share/bash-completion/completions/segma"
"$prefix/bin/segma" --generate-completion-script zsh >"$prefix/share/zsh/site-functions/_segma"
"$prefix/bin/segma" --generate-completion-script fish >"$prefix/share/fish/vendor_completions.d/segma.fish"
echo "installed segma in $prefix" >&2
