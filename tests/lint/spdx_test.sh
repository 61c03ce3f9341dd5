#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every source file names its license: an `SPDX-License-Identifier: GPL-2.0-or-later` line in its first
# three lines (after a #! line, a page's title, a file's own header). Source files are the tracked C++,
# shell, CMake, configure_file() templates, scdoc pages, systemd files and every script with a #! line;
# dot-directories (.ci/) are left out. Needs the git checkout (77 without it). It first checks itself on a
# file without the line, which it must report.
#
# Usage: spdx_test.sh SOURCE_DIR
set -euo pipefail
cd "${1:?usage: spdx_test.sh SOURCE_DIR}"
if ! command -v git >/dev/null || ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	echo "SKIP: $PWD is not a git checkout"
	exit 77
fi

line='SPDX-License-Identifier: GPL-2.0-or-later'

# lacking FILE... — the files among FILE... that have no SPDX line at their top.
lacking() {
	local file
	for file in "$@"; do
		head -n3 -- "$file" | grep -qF "$line" || echo "$file"
	done
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#!/bin/sh\necho no license here\n' >"$tmp/bad.sh"
[ "$(lacking "$tmp/bad.sh")" = "$tmp/bad.sh" ] || { echo "FAIL: the check missed a file without the line" >&2; exit 1; }

mapfile -t files < <(
	{
		git ls-files -- '*.cpp' '*.hpp' '*.h' '*.sh' '*.cmake' '*.in' '*CMakeLists.txt' '*.scd' '*.service' \
			'*.tmpfiles' '*.bash-completion'
		git ls-files | while read -r file; do
			[ -f "$file" ] && [ "$(head -c2 -- "$file" | tr -d '\0')" = '#!' ] && echo "$file"
		done
	} | grep -v '^\.' | grep -v '/\.' | sort -u
)
[ "${#files[@]}" -gt 100 ] || { echo "FAIL: found only ${#files[@]} source files in $PWD" >&2; exit 1; }
missing=$(lacking "${files[@]}")
if [ -n "$missing" ]; then
	echo "FAIL: no '$line' in the first three lines of:" >&2
	echo "$missing" | sed 's/^/  /' >&2
	exit 1
fi
echo "PASS: ${#files[@]} files carry '$line'"
