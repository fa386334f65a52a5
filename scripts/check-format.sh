#!/usr/bin/env bash
# Checks that every C++ file in the repository is formatted as .clang-format says (clang-format 14, Debian's).
# --fix rewrites them in place. make test runs the check (ctest: format_check).
set -euo pipefail
cd "$(dirname "$0")/.."
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
if ! command -v "$CLANG_FORMAT" >/dev/null; then
    echo "check-format: $CLANG_FORMAT is not installed (apt-get install clang-format)" >&2
    exit 1
fi
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' ':!:**/node_modules/**')
if [ "${1:-}" = "--fix" ]; then
    "$CLANG_FORMAT" -i "${files[@]}"
    exit 0
fi
bad=()
for f in "${files[@]}"; do
    if ! "$CLANG_FORMAT" --dry-run --Werror "$f" >/dev/null 2>&1; then bad+=("$f"); fi
done
if [ ${#bad[@]} -gt 0 ]; then
    echo "check-format: ${#bad[@]} file(s) differ from .clang-format; run scripts/check-format.sh --fix:" >&2
    printf '  %s\n' "${bad[@]}" >&2
    exit 1
fi
echo "check-format: ${#files[@]} files formatted as .clang-format says"
