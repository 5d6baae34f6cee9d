# Sourced by the CLI end-to-end tests: a scratch folder removed on exit ($work), and check NAME
# CONDITION... counting passes and failures (a failure prints its name); `contains TEXT REGEX`;
# `report` prints the counts and fails when any check did.
set -uo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name"; fi
}
contains() { grep -q -- "$2" <<<"$1"; }
report() {
  echo "$passed passed, $failed failed"
  test "$failed" = 0
}
