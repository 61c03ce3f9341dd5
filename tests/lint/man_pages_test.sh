#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The man pages (docs/man/*.scd, built by docs/man/CMakeLists.txt into BUILD_DIR/docs/man/*.gz) render
# without a single groff warning, are gzipped without a name or time stamp, and keep up with the code:
# - every key the TOML parser accepts (the k…Keys arrays of src/config/toml_config.cpp, each with the table
#   its check_keys() call names) has an entry under that table's heading in uplinkd.toml(5), and every table
#   has its heading;
# - every field of a dhcp-lb line (kLineShape in src/config/dhcp_lb_config.cpp) is named in its section;
# - every subcommand that `uplinkctl --help` lists has an entry under COMMANDS in uplinkctl(8), and every
#   option of uplinkctl, of each subcommand and of uplinkd appears in its page.
# So a key, table, verb or option added without documentation fails here, naming it.
#
# Usage: man_pages_test.sh SOURCE_DIR BUILD_DIR UPLINKCTL_BINARY [UPLINKD_BINARY]. No root, no network. It
# first checks itself on pages with an entry removed, which it must fail.
set -euo pipefail
usage="usage: man_pages_test.sh SOURCE_DIR BUILD_DIR UPLINKCTL_BINARY [UPLINKD_BINARY]"
source_dir=${1:?$usage}
build_dir=${2:?$usage}
uplinkctl=${3:?$usage}
uplinkd=${4:-}
man_dir=$build_dir/docs/man
pages=(uplinkd.8 uplinkctl.8 uplinkd.toml.5)

for tool in man gzip perl scdoc; do
  command -v "$tool" >/dev/null ||
    { echo "FAIL: $tool is missing (scripts/install-deps.sh installs man-db, scdoc and the rest)" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# render PAGE — the page as text, 80 columns, no hyphenation (a key split at a line's end would not be found),
# whatever the caller's man settings.
render() {
  env -u MAN_KEEP_FORMATTING -u MANOPT -u MANROFFSEQ LC_ALL=C.UTF-8 MANWIDTH=80 MANROFFOPT=-rHY=0 man -l "$1"
}

# missing RENDERED MODE HEADING WORD... — prints each WORD that the section of RENDERED under the first
# heading that starts with HEADING (case-insensitive; "" for the whole page) lacks, or NO-HEADING when no
# heading starts so. Headings are the lines man indents by at most 3 columns (.SH, .SS).
# MODE terms: WORD must begin an entry, a line at the section's smallest indent (`*key* (type, default …)`
# renders so), or be a table with a heading of its own ([web], [[uplink]], [uplink.health]).
# MODE words: WORD must appear in the section as a word of its own.
missing() {
  perl -e '
    my ($file, $mode, $heading, @words) = @ARGV;
    open(my $in, "<", $file) or die "$file: $!\n";
    chomp(my @lines = <$in>);
    my @heads = grep { $lines[$_] =~ /^ {0,3}\S/ } 0 .. $#lines;
    my @head_texts = map { $lines[$_] =~ s/^\s+//r } @heads;
    my ($start, $end) = (0, $#lines);
    if ($heading ne "") {
      undef $start;
      for my $i (0 .. $#heads) {
        next unless index(lc $head_texts[$i], lc $heading) == 0;
        ($start, $end) = ($heads[$i] + 1, $i < $#heads ? $heads[$i + 1] - 1 : $#lines);
        last;
      }
      if (!defined $start) { print "NO-HEADING\n"; exit 0 }
    }
    my @body = @lines[$start .. $end];
    my ($indent) = sort { $a <=> $b } map { /^( *)\S/ ? length $1 : () } @body;
    for my $word (@words) {
      my $q = quotemeta $word;
      my $found = 0;
      if ($mode eq "terms") {
        $found = defined $indent && grep { /^ {$indent}$q(?![\w-])/ } @body;
        $found ||= grep { /^\[{1,2}(?:[\w.]+\.)?$q\]{1,2}(?!\S)/ } @head_texts;
      } else {
        $found = grep { /(?<![\w-])$q(?![\w-])/ } @body;
      }
      print "$word\n" unless $found;
    }
  ' "$@"
}

# extract_config_keys — "SECTION<TAB>KEY<TAB>ARRAY" for every key of every k…Keys array in toml_config.cpp,
# SECTION being the table name its check_keys() call gives ("the top level", "[web]", "[[uplink]]" …).
extract_config_keys() {
  perl -e '
    local $/;
    my $file = shift;
    open(my $in, "<", $file) or die "$file: $!\n";
    my $text = <$in>;
    my %keys;
    while ($text =~ /std::array<std::string_view,\s*\d+>\s+(k\w*Keys)\s*=\s*\{(.*?)\};/sg) {
      my ($array, $list) = ($1, $2);
      $keys{$array} = [$list =~ /"([^"]*)"/g];
    }
    die "no k…Keys arrays in $file: has the parser changed? (update tests/lint/man_pages_test.sh)\n" unless %keys;
    my %section;
    $section{$2} = $1 while $text =~ /check_keys\([^;]*?"([^"]+)",\s*(k\w*Keys)\s*\)/sg;
    for my $array (sort keys %keys) {
      die "$file: $array is never passed to check_keys(), so its table is unknown (update tests/lint/man_pages_test.sh)\n"
        unless defined $section{$array};
      print "$section{$array}\t$_\t$array\n" for @{$keys{$array}};
    }
  ' "$source_dir/src/config/toml_config.cpp"
}

extract_config_keys >"$work/keys" || { echo "FAIL: cannot read the accepted keys (above)" >&2; exit 1; }
config_keys() { cat "$work/keys"; }

# heading_of SECTION — the heading text a check_keys() section name has in uplinkd.toml(5): "the top level" is
# "Top level", a table is its own name.
heading_of() {
  local section=$1
  echo "${section#the }"
}

# check_config_keys RENDERED — every accepted key under its table's heading; returns non-zero if any is missing.
check_config_keys() {
  local rendered=$1 bad=0 section key array line
  local -A keys_of=() array_of=()
  while IFS=$'\t' read -r section key array; do
    keys_of[$section]+="$key "
    array_of[$section]=$array
  done < <(config_keys)
  for section in "${!keys_of[@]}"; do
    # shellcheck disable=SC2086 # the keys are words
    while read -r line; do
      [ -n "$line" ] || continue
      bad=1
      if [ "$line" = NO-HEADING ]; then
        echo "FAIL: uplinkd.toml(5) has no heading \"$(heading_of "$section")\" for the keys of $section" \
          "(${array_of[$section]} in src/config/toml_config.cpp); add \"## $(heading_of "$section")\" to" \
          "docs/man/uplinkd.toml.5.scd" >&2
      else
        echo "FAIL: uplinkd.toml(5) has no entry for key \"$line\" under \"$(heading_of "$section")\"" \
          "(${array_of[$section]} in src/config/toml_config.cpp); add \"*$line* (TYPE, default …)\" and its" \
          "meaning there in docs/man/uplinkd.toml.5.scd" >&2
      fi
    done < <(missing "$rendered" terms "$(heading_of "$section")" ${keys_of[$section]})
  done
  return "$bad"
}

# The fields of a dhcp-lb line, from the parser's own message: "each line is: interface table-name …".
dhcp_lb_fields() {
  perl -ne 'if (/kLineShape\s*=\s*"[^":]*:\s*([^"]+)"/) { print join("\n", split(" ", $1)), "\n"; $found = 1 }
            END { exit($found ? 0 : 1) }' "$source_dir/src/config/dhcp_lb_config.cpp"
}

# subcommands BINARY — the SUBCOMMANDS section of BINARY --help (CLI11: "Subcommands:", later "SUBCOMMANDS:").
subcommands() {
  "$1" --help | perl -ne 'if (/^subcommands:?\s*$/i) { $in = 1; next } $in = 0 if /^\S/ || /^\s*$/;
                          print "$1\n" if $in && /^  (\w[\w-]*)/'
}

# options HELP_TEXT_FILE — every option name in the OPTIONS section, except --help and -h.
options() {
  perl -ne 'if (/^options:?\s*$/i) { $in = 1; next } $in = 0 if /^\S/;
            next unless $in && /^\s+(-[^\s]+)/;
            for (split /,/, $1) { s/[^\w-].*//; print "$_\n" unless $_ eq "--help" || $_ eq "-h" || $_ eq "" }' "$1"
}

# check_verbs RENDERED — every subcommand of uplinkctl --help has an entry under COMMANDS.
check_verbs() {
  local rendered=$1 bad=0 verb
  local -a verbs
  mapfile -t verbs < <(subcommands "$uplinkctl")
  [ "${#verbs[@]}" -gt 0 ] || { echo "FAIL: found no subcommands in \`$uplinkctl --help\`" >&2; return 1; }
  while read -r verb; do
    [ -n "$verb" ] || continue
    bad=1
    if [ "$verb" = NO-HEADING ]; then
      echo "FAIL: uplinkctl(8) has no COMMANDS section" >&2
    else
      echo "FAIL: uplinkctl(8) has no entry for the subcommand \"$verb\" (listed by \`uplinkctl --help\`);" \
        "add \"*$verb* …\" and what it does under COMMANDS in docs/man/uplinkctl.8.scd" >&2
    fi
  done < <(missing "$rendered" terms COMMANDS "${verbs[@]}")
  return "$bad"
}

# check_options RENDERED PAGE HELP_FILE... — every option in the help texts appears in the page.
check_options() {
  local rendered=$1 page=$2 bad=0 option
  shift 2
  local -a opts
  mapfile -t opts < <(for help in "$@"; do options "$help"; done | sort -u)
  [ "${#opts[@]}" -gt 0 ] || return 0
  while read -r option; do
    [ -n "$option" ] || continue
    bad=1
    echo "FAIL: $page does not mention the option $option (from --help); document it in docs/man/" >&2
  done < <(missing "$rendered" words "" "${opts[@]}")
  return "$bad"
}

# --- Self-check: pages with one entry removed must fail, naming it. ------------------------------------------
self_check() {
  local key="" verb candidate
  # The first accepted key that has an entry of its own in the page (a new table's key may have none yet).
  for candidate in $(config_keys | cut -f2); do
    grep -q "^\*$candidate\*" "$source_dir/docs/man/uplinkd.toml.5.scd" && { key=$candidate; break; }
  done
  verb=$(subcommands "$uplinkctl" | head -1)
  grep -v "^\*$key\*" "$source_dir/docs/man/uplinkd.toml.5.scd" >"$work/no-key.scd"
  grep -v "^\*$verb\*" "$source_dir/docs/man/uplinkctl.8.scd" >"$work/no-verb.scd"
  if cmp -s "$work/no-key.scd" "$source_dir/docs/man/uplinkd.toml.5.scd" ||
    cmp -s "$work/no-verb.scd" "$source_dir/docs/man/uplinkctl.8.scd"; then
    fail "self-check: no line \"*$key*\" in uplinkd.toml.5.scd or \"*$verb*\" in uplinkctl.8.scd to remove"
    return
  fi
  if ! { scdoc <"$work/no-key.scd" >"$work/no-key.5" && render "$work/no-key.5" >"$work/no-key.txt" &&
    scdoc <"$work/no-verb.scd" >"$work/no-verb.8" && render "$work/no-verb.8" >"$work/no-verb.txt"; }; then
    fail "self-check: cannot build or render the pages with an entry removed"
    return
  fi
  if check_config_keys "$work/no-key.txt" 2>"$work/out"; then
    fail "self-check: uplinkd.toml(5) without \"*$key*\" passed the key check"
  elif ! grep -q "key \"$key\"" "$work/out"; then
    fail "self-check: uplinkd.toml(5) without \"*$key*\" failed without naming it: $(cat "$work/out")"
  fi
  if check_verbs "$work/no-verb.txt" 2>"$work/out"; then
    fail "self-check: uplinkctl(8) without \"*$verb*\" passed the verb check"
  elif ! grep -q "subcommand \"$verb\"" "$work/out"; then
    fail "self-check: uplinkctl(8) without \"*$verb*\" failed without naming it: $(cat "$work/out")"
  fi
}
self_check

# --- 1. Each built page: gzip -9n, no groff warning, a NAME line. ---------------------------------------------
for page in "${pages[@]}"; do
  gz=$man_dir/$page.gz
  if [ ! -f "$gz" ]; then
    fail "$gz is missing: build it with \`ninja -C $build_dir man-pages\`"
    continue
  fi
  gzip -t "$gz" || { fail "$gz is not a valid gzip file"; continue; }
  # The header's FLG (byte 4) must not have FNAME, and MTIME (bytes 5-8) must be 0: gzip -n, reproducible.
  header=$(od -An -tx1 -N8 "$gz" | tr -d ' \n')
  { [ "${header:6:2}" = 00 ] && [ "${header:8:8}" = 00000000 ]; } ||
    fail "$gz holds a file name or time stamp (header $header): compress with gzip -9n"
  # What lintian runs (manpage-has-errors-from-man), with every groff warning (-ww) instead of only `mac`.
  warnings=$(env -u MANOPT LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
    man --warnings=w -E UTF-8 -l -Tutf8 -Z "$gz" 2>&1 >/dev/null) || warnings+=" (man exited with status $?)"
  [ -z "$warnings" ] || fail "$page: man reports: $warnings"
  render "$gz" >"$work/$page.txt" 2>"$work/$page.err" || fail "$page: man -l failed: $(cat "$work/$page.err")"
  name=${page%.*}
  perl -e 'my ($name, $file) = @ARGV; open(my $in, "<", $file) or die; local $/; my $t = <$in>;
           exit($t =~ /^NAME\n +\Q$name\E - \S/m ? 0 : 1)' "$name" "$work/$page.txt" ||
    fail "$page: no NAME line \"$name - …\" in the rendered page"
done

# --- 2. Config keys and tables, and the dhcp-lb fields. -----------------------------------------------------
toml_page=$work/uplinkd.toml.5.txt
key_count=0 field_count=0 verb_count=0
if [ -f "$toml_page" ]; then
  check_config_keys "$toml_page" || failures=$((failures + 1))
  key_count=$(config_keys | wc -l)
  if fields=$(dhcp_lb_fields); then
    field_count=$(wc -w <<<"$fields")
    # shellcheck disable=SC2086 # the fields are words
    while read -r field; do
      [ -n "$field" ] || continue
      if [ "$field" = NO-HEADING ]; then
        fail "uplinkd.toml(5) has no section whose heading starts with DHCP-LB"
      else
        fail "uplinkd.toml(5) does not name the dhcp-lb field \"$field\" (kLineShape in src/config/dhcp_lb_config.cpp)"
      fi
    done < <(missing "$toml_page" words DHCP-LB $fields)
  else
    fail "cannot find kLineShape (the dhcp-lb line's fields) in src/config/dhcp_lb_config.cpp"
  fi
fi

# --- 3. uplinkctl's subcommands and options; uplinkd's options. ---------------------------------------------
ctl_page=$work/uplinkctl.8.txt
if [ -f "$ctl_page" ]; then
  check_verbs "$ctl_page" || failures=$((failures + 1))
  "$uplinkctl" --help >"$work/help.uplinkctl" || fail "\`$uplinkctl --help\` failed"
  helps=("$work/help.uplinkctl")
  while read -r verb; do
    "$uplinkctl" "$verb" --help >"$work/help.$verb" || fail "\`uplinkctl $verb --help\` failed"
    helps+=("$work/help.$verb")
    verb_count=$((verb_count + 1))
  done < <(subcommands "$uplinkctl")
  check_options "$ctl_page" "uplinkctl(8)" "${helps[@]}" || failures=$((failures + 1))
fi
if [ -n "$uplinkd" ] && [ -f "$work/uplinkd.8.txt" ]; then
  "$uplinkd" --help >"$work/help.uplinkd" || fail "\`$uplinkd --help\` failed"
  check_options "$work/uplinkd.8.txt" "uplinkd(8)" "$work/help.uplinkd" || failures=$((failures + 1))
fi

if [ "$failures" -gt 0 ]; then
  echo "man_pages_test: $failures check(s) failed" >&2
  exit 1
fi
echo "man pages: ${#pages[@]} render without warnings; $key_count config keys under their tables," \
  "$field_count dhcp-lb fields, $verb_count uplinkctl subcommands and their options documented"
