#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The shell tests' waits must measure anew on every try. `wait_for test "$(count)" -ge 5` (or poll_until,
# or with `[`) expands $(count) once, in the caller, so every try compares the same number: the wait passes
# only if the condition already held at the call, and otherwise always times out (the "holder never reports"
# flake of issue 4, and seven more like it). The fix is a function, or `eval '[ "$(count)" -ge 5 ]'`.
#
# Usage: poll_arguments_test.sh SOURCE_DIR — lists every such call in SOURCE_DIR's tests/, bench/ and
# scripts/ as file:line and fails if there is one. It first checks itself on calls it must and must not flag.
set -euo pipefail
source_dir=${1:?usage: poll_arguments_test.sh SOURCE_DIR}

# frozen_waits FILE... — "file:line: call" for each wait whose command is test/[/[[ with an unquoted-by-eval
# $( in its arguments. Continuation lines (ending in \) are joined first; the --what text may hold $( freely.
frozen_waits() {
  perl -e '
    for my $file (@ARGV) {
      open(my $in, "<", $file) or die "$file: $!\n";
      my ($joined, $first) = ("", 0);
      while (my $line = <$in>) {
        chomp $line;
        $first = $. if $joined eq "";
        if ($line =~ s/\\$//) { $joined .= $line . " "; next }
        $joined .= $line;
        my $call = $joined;
        $joined = "";
        next if $call =~ /^\s*#/;
        next unless $call =~ /\b(?:poll_until|wait_for)\s+(.*)$/;
        my $rest = $1;
        # Options: --deadline S, --interval S, --what "TEXT" (TEXT may hold escaped quotes and $(…), quotes
        # inside those included: a $( is skipped to its balanced closing parenthesis).
        my $parens = qr/(?<p>\((?:[^()]++|(?&p))*\))/;
        $rest =~ s/^(?:--(?:deadline|interval)\s+\S+\s+|--what\s+"(?:[^"\\\$]|\\.|\$$parens|\$)*"\s+|--\s+)*//;
        next unless $rest =~ /^(?:test|\[|\[\[)\s/;
        print "$file:$first: $call\n" if $rest =~ /\$\(/;
      }
    }' "$@"
}

self_check() {
  local tmp
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  cat >"$tmp/bad.sh" <<'BAD'
wait_for --deadline 5 --what "the stream" test "$(test_counter 2 traffic)" -ge 100
poll_until --deadline 20 test "$(wc -l <"$file")" -gt "$before" || fail x
wait_for --deadline 10 --what "route via $(isp_gw "$n")" \
  [ "$(default_gateway router "wan$n")" == "$(isp_gw "$n")" ]
BAD
  cat >"$tmp/good.sh" <<'GOOD'
wait_for --deadline 5 --what "the stream $(date)" eval '[ "$(test_counter 2 traffic)" -ge 100 ]'
poll_until --deadline 20 _h_echo_reported "$file.echoed" "$before" || fail x
wait_for --deadline 10 --what "echoing" echoing_more "$(client_state)" 3 $slots
wait_for --deadline 5 --what "ready" test -e "$H_TMP/file"
# wait_for test "$(count)" -gt 1   (a comment)
GOOD
  local found
  found=$(frozen_waits "$tmp/bad.sh" | wc -l)
  [ "$found" -eq 3 ] || { echo "self-check: flagged $found of the 3 frozen waits"; frozen_waits "$tmp/bad.sh"; return 1; }
  found=$(frozen_waits "$tmp/good.sh")
  [ -z "$found" ] || { echo "self-check: flagged waits that re-measure: $found"; return 1; }
}

self_check || exit 1
# Not this file: its self-check holds the very calls it flags.
mapfile -t files < <(find "$source_dir/tests" "$source_dir/bench" "$source_dir/scripts" -name '*.sh' -type f \
  ! -path "*/tests/lint/*" | sort)
offenders=$(frozen_waits "${files[@]}")
if [ -n "$offenders" ]; then
  echo "waits whose condition is expanded once, before the first try (use a function or eval '[ … ]'):"
  echo "$offenders"
  exit 1
fi
echo "${#files[@]} shell files checked: no wait compares a value expanded once"
