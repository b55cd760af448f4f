#!/bin/sh
# door-broker's command line: --help, --version, usage errors, and
# `check` on a good file, a bad file and docs/doorauth.example.ini.
#
#   broker_check_cli.sh BROKER SOURCE_ROOT CONFIG_KEYS
#
# TAP output: one "ok N - what" or "not ok N - what" line per check, and
# the plan at the end.
set -u

# meson passes paths relative to the build directory; the checks run
# elsewhere.
abs() { case $1 in /*) echo "$1" ;; *) echo "$(pwd)/$1" ;; esac; }
broker=$(abs "$1")
src=$(abs "$2")
config_keys=$(abs "$3")
data=$src/tests/unit/util/data
tmp=$(mktemp -d "${TMPDIR:-/tmp}/door-cli-test-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
  n=$((n + 1))
  failed=$((failed + 1))
  echo "not ok $n - $1"
  shift
  for line in "$@"; do echo "# $line"; done
}

# The good file runs from a copy, so the secret file's mode is known.
dir=$tmp/good
mkdir "$dir" && cp "$data/good.ini" "$data/client.secret" "$dir/" &&
  chmod 644 "$dir/client.secret" || exit 1

# run EXPECTED_STATUS ARGS...: runs the broker in $dir, keeping its output
# in $tmp/out and $tmp/err and its status in $status.
run() {
  want=$1
  shift
  (cd "$dir" && "$broker" "$@") >"$tmp/out" 2>"$tmp/err"
  status=$?
  [ "$status" -eq "$want" ]
}

# expect DESCRIPTION EXPECTED_STATUS ARGS...
expect() {
  what=$1
  shift
  if run "$@"; then
    ok "$what"
  else
    not_ok "$what" "exit status $status, want $1" \
      "stdout: $(head -c 400 "$tmp/out")" "stderr: $(head -c 400 "$tmp/err")"
  fi
}

# has FILE PATTERN DESCRIPTION: a fixed string is in the file.
has() {
  if grep -qF -- "$2" "$1"; then ok "$3"; else
    not_ok "$3" "missing: $2" "in: $(head -c 600 "$1")"
  fi
}
lacks() {
  if grep -qF -- "$2" "$1"; then not_ok "$3" "found: $2"; else ok "$3"; fi
}

# --version, --help
expect "--version exits 0" 0 --version
has "$tmp/out" "door-broker " "--version prints the program and version"
expect "--help exits 0" 0 --help
has "$tmp/out" "usage: door-broker [--config FILE] COMMAND" "--help has usage"
has "$tmp/out" "  check" "--help lists the check command"

# usage errors exit 2 with a usage line
expect "no command exits 2" 2
has "$tmp/err" "usage: door-broker" "no command prints the usage line"
expect "unknown command exits 2" 2 --config good.ini frobnicate
has "$tmp/err" "unknown command 'frobnicate'" "unknown command is named"
expect "unknown option exits 2" 2 --verbose check
expect "--config without FILE exits 2" 2 --config
expect "check with an argument exits 2" 2 --config good.ini check extra

# a good file
export DOOR_TEST_COOKIE_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8
expect "check on a good file exits 0" 0 --config good.ini check
has "$tmp/out" "[provider \"idp\"]" "check prints the sections"
has "$tmp/err" "good.ini:14: warning: secret file 'client.secret' may be read or changed" \
  "a loose secret file mode is a warning"
has "$tmp/out" "cookie_key = (secret from environment variable DOOR_TEST_COOKIE_KEY)" \
  "check shows where a secret comes from"
has "$tmp/out" "client_secret = (secret from file client.secret)" \
  "check shows a secret file's path"
lacks "$tmp/out" "AAECAwQF" "check does not print the cookie key"
lacks "$tmp/out" "client-secret-xyz" "check does not print the client secret"
lacks "$tmp/out" "db-password-xyz" "check does not print the database password"
expect "--config=FILE works too" 0 --config=good.ini check
expect "-c FILE works too" 0 -c good.ini check

# a bad file: every error, in order, to stderr; nothing on stdout
dir=$data
expect "check on a bad file exits 1" 1 --config bad.ini check
if diff -u "$data/bad.expected" "$tmp/err" >"$tmp/diff"; then
  ok "check prints every error as FILE:LINE: error: what (key); hint"
else
  not_ok "check prints every error as FILE:LINE: error: what (key); hint" \
    "$(cat "$tmp/diff")"
fi
if [ -s "$tmp/out" ]; then not_ok "nothing on stdout for a bad file"; else
  ok "nothing on stdout for a bad file"
fi

expect "check on a missing file exits 1" 1 --config nothere.ini check
has "$tmp/err" "nothere.ini: error: cannot read the configuration file: No such file or directory" \
  "a missing file is named"

# the example configuration passes and mentions every key
export DOOR_COOKIE_KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
export DACCOUNT_CLIENT_SECRET=example-daccount-secret
export XMARKET_CLIENT_SECRET=example-xmarket-secret
export GENERIC_CLIENT_SECRET=example-generic-secret
expect "check passes on docs/doorauth.example.ini" 0 \
  --config "$src/docs/doorauth.example.ini" check
if [ -s "$tmp/err" ]; then
  not_ok "no warnings on the example" "$(cat "$tmp/err")"
else
  ok "no warnings on the example"
fi
lacks "$tmp/out" "example-daccount-secret" "no secret printed for the example"

if "$config_keys" >"$tmp/keys"; then
  missing=""
  while read -r section key; do
    if ! grep -Eq "^[;#]? *$key = " "$src/docs/doorauth.example.ini"; then
      missing="$missing $section.$key"
    fi
  done <"$tmp/keys"
  if [ -z "$missing" ] && [ -s "$tmp/keys" ]; then
    ok "docs/doorauth.example.ini mentions every key"
  else
    not_ok "docs/doorauth.example.ini mentions every key" "missing:$missing"
  fi
else
  not_ok "docs/doorauth.example.ini mentions every key" "config_keys failed"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
