#!/usr/bin/env bash
# Style gate, run by meson test (suite "style"): clang-format, banned calls,
# file size.  TAP output, one line per rule.
set -u
cd "${1:-$(dirname "$0")/../..}" || exit 1
n=0; failed=0
report() { # ok|not-ok name [details file]
  n=$((n + 1))
  if [ "$1" = ok ]; then echo "ok $n - $2"; else
    echo "not ok $n - $2"; failed=1
    [ -n "${3:-}" ] && sed 's/^/# /' "$3" | head -n 60
  fi
}
tmp=$(mktemp); trap 'rm -f "$tmp"' EXIT
files=$(git ls-files -co --exclude-standard -- '*.c' '*.h' | grep -v '^tests/node_modules/' || true)

if command -v clang-format >/dev/null 2>&1; then
  : >"$tmp"
  for f in $files; do
    clang-format --dry-run -Werror "$f" >>"$tmp" 2>&1 || echo "$f is not clang-formatted (run clang-format -i $f)" >>"$tmp"
  done
  if grep -q 'not clang-formatted' "$tmp"; then grep 'not clang-formatted' "$tmp" >"$tmp.2"; report not-ok clang-format "$tmp.2"; rm -f "$tmp.2"; else report ok clang-format; fi
else
  report not-ok "clang-format (not installed: ./dev installs it)"
fi

# Banned: sprintf/vsprintf/strcpy/strcat/gets (use door_buf), printf-built URLs.
: >"$tmp"
for f in $files; do
  grep -nE '(^|[^a-z_n])(v?sprintf|strcpy|strcat|gets)[[:space:]]*\(' "$f" | sed "s|^|$f:|" >>"$tmp"
done
if [ -s "$tmp" ]; then report not-ok "no sprintf/strcpy/strcat/gets" "$tmp"; else report ok "no sprintf/strcpy/strcat/gets"; fi

# Library and program sources stay under 800 lines: split by concern.
: >"$tmp"
for f in $(echo "$files" | grep -E '^(src|include|providers)/' || true); do
  l=$(wc -l <"$f"); [ "$l" -le 800 ] || echo "$f has $l lines (limit 800): split it" >>"$tmp"
done
if [ -s "$tmp" ]; then report not-ok "files under 800 lines" "$tmp"; else report ok "files under 800 lines"; fi

# Who may never reach whom (docs/ARCHITECTURE.md): a module's sources may not
# include the internal headers of the parts it must never reach.
: >"$tmp"
never() { # dir forbidden-prefix...
  local dir=$1 f p; shift
  for f in $(echo "$files" | grep -E "^$dir/" || true); do
    for p in "$@"; do
      grep -nE "#include \"$p/" "$f" | sed "s|^|$f: reaches $p: |" >>"$tmp"
    done
  done
}
never src/util jose http oidc providers store tickets broker daemon idp gate
never src/jose http oidc providers store tickets broker daemon idp gate
never src/http oidc providers store tickets broker daemon idp gate
never src/oidc store broker daemon tickets idp gate
never providers store broker daemon tickets idp gate
never src/store oidc providers http broker daemon tickets idp gate
never src/tickets broker daemon idp
never src/broker daemon idp
never src/idp broker oidc store providers tickets daemon gate
never src/gate oidc broker daemon idp providers
never src/daemon idp gate oidc store jose http providers tickets
if [ -s "$tmp" ]; then report not-ok "layering: no part reaches what it must not" "$tmp"; else report ok "layering: no part reaches what it must not"; fi

# One outbound path to providers (docs/privacy.md): door__http_do is called
# only from src/oidc/outbound.c, which checks every field against the
# provider's transmission manifest first.  Allowed besides: the client itself
# (src/http) and the client's own unit tests (door-idp sends its back-channel
# logout tokens with OpenSSL's HTTP client, src/idp/bcl_post.c, not through
# src/http).  src/tickets and src/gate fetch the broker's own JWKS with libcurl
# directly (not a provider call, and they may not reach http).
: >"$tmp"
for f in $(echo "$files" | grep -vE '^(src/oidc/outbound\.c|src/http/|tests/unit/http/)' || true); do
  grep -nE '(^|[^a-z_])door__http_do[[:space:]]*\(' "$f" | sed "s|^|$f: calls door__http_do outside src/oidc/outbound.c: |" >>"$tmp"
done
# ...and no library or provider code opens its own libcurl handle.
for f in $(echo "$files" | grep -E '^(src|providers)/' | grep -vE '^(src/http/|src/tickets/gate_fetch\.c)' || true); do
  grep -nE 'curl_easy_init[[:space:]]*\(' "$f" | sed "s|^|$f: opens a libcurl handle outside src/http: |" >>"$tmp"
done
if [ -s "$tmp" ]; then report not-ok "one outbound path: door__http_do only in src/oidc/outbound.c" "$tmp"; else report ok "one outbound path: door__http_do only in src/oidc/outbound.c"; fi

echo "1..$n"
exit $failed
