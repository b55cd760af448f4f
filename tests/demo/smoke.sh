#!/usr/bin/env bash
# Smoke test of the demo script (./dev demo): tests/demo/run.sh starts,
# prints the URL and the users, serves the chooser over HTTPS with the test
# CA, sends a login to door-idp's interactive page, keeps its secrets private,
# and on Ctrl-C (SIGINT) stops door-idp and door-broker, both with status 0.
# The full story in a browser is tests/browser/.
# usage: smoke.sh BUILD_DIR   (TAP output)
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=$(cd "$1" && pwd)
CA=$BUILD/certs/ca.pem
WORK=$(mktemp -d "${TMPDIR:-/tmp}/door-demo-smoke.XXXXXX")
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { # description command...
  local d=$1; shift
  if "$@"; then ok "$d"; else nok "$d"; fi
}
DEMO_PID=
cleanup() {
  [ -n "$DEMO_PID" ] && kill -TERM "$DEMO_PID" 2>/dev/null && wait "$DEMO_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

# The demo runs as a session and process group of its own with SIGINT at its
# default (a job started with & from a script inherits SIGINT ignored, and
# bash cannot trap a signal ignored at entry), so the SIGINT below reaches
# it the way Ctrl-C in a terminal would: the whole group.
DOOR_DEMO_STATE=$WORK/state DOOR_DEMO_EPHEMERAL=1 python3 -c '
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setsid()
os.execv(sys.argv[1], sys.argv[1:])' "$HERE/run.sh" "$BUILD" >"$WORK/out" 2>"$WORK/err" &
DEMO_PID=$!
for _ in $(seq 1 300); do
  grep -q 'Ctrl-C stops both' "$WORK/out" 2>/dev/null && break
  kill -0 "$DEMO_PID" 2>/dev/null || break
  sleep 0.1
done
if ! grep -q 'Ctrl-C stops both' "$WORK/out"; then
  nok "the demo starts"
  sed 's/^/# /' "$WORK/out" "$WORK/err"
  echo "1..$n"
  exit 1
fi
ok "the demo starts and prints its banner"
URL=$(sed -n 's/^  Open: *//p' "$WORK/out")
check "it prints an https URL on localhost ($URL)" grep -Eq '^https://localhost:[0-9]+/$' <<<"$URL"
check "it names the demo users" grep -q 'docomo-taro.*xm-alice\|xm-alice' "$WORK/out"
check "it says how to trust the test CA" grep -q "$CA" "$WORK/out"

page=$(curl -sS --cacert "$CA" -H 'Accept-Language: en' "$URL" 2>&1)
check "the chooser answers over HTTPS with the test CA" grep -q 'Sign in to DOOR' <<<"$page"
check "the chooser offers d-account and XMarket" \
  bash -c 'grep -q "Sign in with d アカウント" <<<"$1" && grep -q "Sign in with XMarket" <<<"$1"' _ "$page"

loc=$(curl -sS --cacert "$CA" -o /dev/null -w '%{redirect_url}' "${URL}login/daccount")
check "a d-account login goes to door-idp's authorization endpoint" \
  grep -Eq '^https://127\.0\.0\.1:[0-9]+/cgi8/oidc/authorize\?' <<<"$loc"
privacy=$(curl -sS --cacert "$CA" -H 'Accept-Language: ja' "${URL}privacy")
check "/privacy says in Japanese what d-account receives" \
  grep -q 'ドコモがお客様個人に割り当てた識別子' <<<"$privacy"
check "the demo configures a ticketed event open now" \
  bash -c '"$1" --config "$2" check 2>&1 | grep -q "live-2025"' _ \
  "$BUILD/door-broker" "$WORK/state/broker.ini"
idp_page=$(curl -sS --cacert "$CA" "$loc")
check "door-idp shows its interactive user picker (no auto-approve)" \
  bash -c 'grep -q "docomo-taro" <<<"$1" && grep -q "door_idp_action" <<<"$1"' _ "$idp_page"

check "the state directory is private (700)" test "$(stat -c %a "$WORK/state")" = 700
check "the cookie key is private (600) and 256 random bits" \
  bash -c '[ "$(stat -c %a "$1")" = 600 ] && grep -Eq "^[0-9a-f]{64}$" "$1"' _ "$WORK/state/cookie.key"
check "the client secrets are private (600)" \
  bash -c '[ "$(stat -c %a "$1")" = 600 ] && [ "$(stat -c %a "$2")" = 600 ]' _ \
  "$WORK/state/daccount.secret" "$WORK/state/xmarket.secret"
check "the cookie key is not in the configuration" \
  bash -c '! grep -qf "$1" "$2"' _ "$WORK/state/cookie.key" "$WORK/state/broker.ini"

kill -INT -- "-$DEMO_PID"
st=0
wait "$DEMO_PID" || st=$?
DEMO_PID=
check "Ctrl-C ends the demo with status 0 (was $st)" test "$st" = 0
check "door-idp stopped with status 0" grep -q 'door-idp exited with status 0' "$WORK/err"
check "door-broker stopped with status 0" grep -q 'door-broker exited with status 0' "$WORK/err"
if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$WORK/state/idp.log" "$WORK/state/broker.log"; then
  nok "no sanitizer report in the logs"
else
  ok "no sanitizer report in the logs"
fi
[ "$fails" -eq 0 ] || sed 's/^/# /' "$WORK/err"
echo "1..$n"
[ "$fails" -eq 0 ]
