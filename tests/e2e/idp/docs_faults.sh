#!/bin/sh
# docs/door-idp.md lists exactly the fault registry (door-idp --list-faults,
# between the faults:begin/end markers), and the example scenarios load.
# usage: docs_faults.sh DOOR_IDP DOC SCENARIO...   (TAP output)
set -u
idp=$1 doc=$2
shift 2
n=$(( $# + 1 ))
echo "1..$n"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/door-idp-docs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$idp" --list-faults >"$tmp/registry.md"
sed -n '/^<!-- faults:begin -->$/,/^<!-- faults:end -->$/p' "$doc" |
  sed '1d;$d' >"$tmp/doc.md"
status=0
if [ -s "$tmp/doc.md" ] && cmp -s "$tmp/registry.md" "$tmp/doc.md"; then
  echo "ok 1 - the fault table of $(basename "$doc") is door-idp --list-faults"
else
  echo "not ok 1 - the fault table of $(basename "$doc") differs from door-idp --list-faults"
  diff "$tmp/registry.md" "$tmp/doc.md" | sed 's/^/# /'
  status=1
fi
i=2
for s in "$@"; do
  if out=$("$idp" --scenario "$s" --check 2>&1); then
    echo "ok $i - $(basename "$s") passes --check"
  else
    echo "not ok $i - $(basename "$s") fails --check"
    echo "$out" | sed 's/^/# /'
    status=1
  fi
  i=$((i + 1))
done
exit $status
