#!/bin/sh
# The core's layers, checked on its includes: a file under core/src/L/ or
# core/include/haloplan/L/ may include "haloplan/M/..." only when M is L or a layer before it
# (text < planner < catalog < view), and nothing under core/ may include Emscripten's headers
# (the core is plain C++; wasm/ holds the only Emscripten code).
# Usage: tests/check_layers.sh [ROOT]   (exit 1 and a line per problem if any)
set -eu
root=${1:-$(dirname "$0")/..}
cd "$root"
rank() {
  case "$1" in text) echo 1 ;; planner) echo 2 ;; catalog) echo 3 ;; view) echo 4 ;; *) echo 0 ;; esac
}
bad=0
for f in $(find core/src core/include -name '*.cpp' -o -name '*.h' | sort); do
  case "$f" in
    core/src/*) layer=$(echo "$f" | cut -d/ -f3) ;;
    core/include/haloplan/*) layer=$(echo "$f" | cut -d/ -f4) ;;
  esac
  own=$(rank "$layer")
  if [ "$own" = 0 ]; then
    echo "$f: not in a layer folder (text, planner, catalog, view)"
    bad=1
    continue
  fi
  # Every quoted include, with its line number.
  grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | while IFS= read -r line; do
    n=${line%%:*}
    inc=$(echo "$line" | sed 's/.*include[[:space:]]*"\([^"]*\)".*/\1/')
    case "$inc" in
      haloplan/*/*) dep=$(echo "$inc" | cut -d/ -f2) ;;
      *) echo "$f:$n: includes \"$inc\"; the core includes its headers as \"haloplan/LAYER/name.h\""; echo x >&3; continue ;;
    esac
    r=$(rank "$dep")
    if [ "$r" = 0 ] || [ "$r" -gt "$own" ]; then
      echo "$f:$n: the $layer layer includes \"$inc\" (layer '$dep' comes after it)"
      echo x >&3
    fi
  done 3>>"${TMPDIR:-/tmp}/haloplan-layers.$$"
  if grep -n -i '#[[:space:]]*include[[:space:]]*<emscripten' "$f"; then
    echo "$f: Emscripten header under core/ (it belongs in wasm/)"
    bad=1
  fi
done
if [ -s "${TMPDIR:-/tmp}/haloplan-layers.$$" ]; then bad=1; fi
rm -f "${TMPDIR:-/tmp}/haloplan-layers.$$"
if [ "$bad" = 0 ]; then echo "layers: $(find core/src core/include -name '*.cpp' -o -name '*.h' | wc -l) files include only their own and earlier layers"; fi
exit "$bad"
