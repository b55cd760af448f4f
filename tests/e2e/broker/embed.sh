#!/usr/bin/env bash
# examples/embed.c against the INSTALLED library: meson install --destdir
# into a temporary directory, build the example with pkg-config (through
# examples/Makefile) from that staged install only, then complete a login
# against the real door-idp with curl.  TAP output.
#
#   embed.sh BUILD_DIR SOURCE_DIR door-idp ca.pem server.pem server.key \
#            scenario-template.json SANITIZE
set -u
abs() { (cd "$(dirname "$1")" && echo "$(pwd)/$(basename "$1")"); }
build=$(abs "$1") src=$(abs "$2") idp=$(abs "$3") ca=$(abs "$4")
cert=$(abs "$5") key=$(abs "$6") tpl=$(abs "$7") sanitize=${8:-none}
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; failed=1; }
check() { if eval "$2"; then ok "$1"; else notok "$1"; fi; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/door-e2e-embed.XXXXXX")
idp_pid='' app_pid=''
cleanup() {
  [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null
  [ -n "$idp_pid" ] && kill "$idp_pid" 2>/dev/null && wait "$idp_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
finish() {
  if [ "$failed" != 0 ]; then
    for f in "$tmp"/*.log; do
      [ -f "$f" ] && sed "s|^|# $(basename "$f"): |" "$f" | tail -n 40
    done
  fi
  echo "1..$n"
  exit $failed
}

# 1. The staged install.
stage=$tmp/stage
if meson install -C "$build" --destdir "$stage" --no-rebuild --quiet \
     >"$tmp/install.log" 2>&1; then ok "meson install --destdir"; else
  notok "meson install --destdir"; finish; fi
pc=$(find "$stage" -name doorauth.pc | head -n 1)
check "doorauth.pc installed" '[ -n "$pc" ]'
check "broker.h installed" '[ -f "$(find "$stage" -path "*/include/doorauth/broker.h" | head -n 1)" ]'
so=$(find "$stage" -name 'libdoorauth.so.*' -type f | head -n 1)
# The shared library exports door_ symbols only.
check "only door_ symbols exported" \
  '[ -n "$so" ] && ! nm -D --defined-only "$so" | awk "{print \$3}" | grep -v "^door_[^_]" | grep -q .'

# 2. The example, from the staged install only.
export PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_SYSROOT_DIR=$stage
extra=''
[ "$sanitize" != none ] && extra="-fsanitize=$sanitize"
if make -s -C "$tmp" -f "$src/examples/Makefile" srcdir="$src/examples" \
     CFLAGS="-O1 -g -Wall -Wextra -Werror $extra" LDFLAGS="$extra" \
     >"$tmp/make.log" 2>&1; then ok "examples/embed.c builds with pkg-config"; else
  notok "examples/embed.c builds with pkg-config"; finish; fi
libdir=$(dirname "$so")
check "embed links the staged libdoorauth" \
  'LD_LIBRARY_PATH=$libdir ldd "$tmp/embed" | grep -q "libdoorauth.so.* => $libdir/"'

# 3. door-idp and a configuration for the example (plain http on loopback).
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
# Only the generic profile: d-account registers https redirect URIs only,
# and back-channel logout URIs are https.
python3 - "$tpl" "$base" >"$tmp/scenario.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["profiles"] = {"generic": doc["profiles"]["generic"]}
for c in doc["profiles"]["generic"]["clients"]:  # https only there
    c.pop("backchannel_logout_uri", None)
    c.pop("backchannel_logout_session_required", None)
print(json.dumps(doc).replace("https://BROKER", sys.argv[2]))
PY
"$idp" --scenario "$tmp/scenario.json" --tls-cert "$cert" --tls-key "$key" \
  --ready-file "$tmp/ready.json" --auto-approve >"$tmp/idp.log" 2>&1 &
idp_pid=$!
for _ in $(seq 200); do [ -f "$tmp/ready.json" ] && break; sleep 0.05; done
check "door-idp is ready" '[ -f "$tmp/ready.json" ]'
issuer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["profiles"]["generic"]["issuer"])' "$tmp/ready.json")
cat >"$tmp/embed.ini" <<EOF
[broker]
public_url = $base/
ca_file = $ca
cookie_key = planted-secret-broker-cookie-key-0123456788
state_dir = $tmp
[store]
url = sqlite:$tmp/door.db
[provider "generic"]
type = generic
issuer = $issuer
client_id = door-broker
client_secret = planted-secret-broker-generic-0123456789abcdef
display_name = Generic OP
EOF
LD_LIBRARY_PATH=$libdir "$tmp/embed" "$tmp/embed.ini" "$port" >"$tmp/embed.log" 2>&1 &
app_pid=$!
for _ in $(seq 200); do grep -q listening "$tmp/embed.log" 2>/dev/null && break; sleep 0.05; done
check "embed is listening" 'grep -q listening "$tmp/embed.log"'

# 4. A login: /login/generic -> door-idp (login_hint) -> callback -> /me.
c() { curl -s --cacert "$ca" -b "$tmp/jar" -c "$tmp/jar" "$@"; }
loc=$(c -o /dev/null -w '%{redirect_url}' "$base/login/generic?return_to=/me")
check "login begins with a redirect to the provider" '[ "${loc#"$issuer"}" != "$loc" ]'
cb=$(c -o /dev/null -w '%{redirect_url}' "$loc&login_hint=alice")
check "the provider answers at the registered callback" '[ "${cb#"$base"/}" != "$cb" ]'
back=$(c -o /dev/null -w '%{http_code} %{redirect_url}' "$cb")
check "the callback signs in and returns to return_to" '[ "$back" = "302 $base/me" ]'
me=$(c "$base/me")
check "/me shows the account and its identity" \
  'echo "$me" | grep -q "\"account_id\":\"[0-9a-f]\{32\}\"" && echo "$me" | grep -q "\"subject\":\"alice-sub\""'
anon=$(curl -s -o /dev/null -w '%{http_code}' "$base/me")
check "/me without the session is 401" '[ "$anon" = 401 ]'
again=$(c -o /dev/null -w '%{http_code}' "$cb")
check "the same callback again is refused" '[ "$again" -ge 400 ] && [ "$again" -lt 500 ]'
kill "$app_pid"; wait "$app_pid"; st=$?; app_pid=''
check "embed exits 0 on SIGTERM" '[ "$st" = 0 ]'
finish
