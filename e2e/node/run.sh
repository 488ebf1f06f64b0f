#!/usr/bin/env bash
# gwmcp end to end with real clients (issue 8): oidc-provider as the upstream OpenID provider,
# gwmcp-sandbox as the Workspace APIs, headless Chromium as the person's browser, and as MCP
# clients the official MCP TypeScript SDK, the MCP Inspector CLI and the official MCP
# conformance suite. Installs what it needs (npm ci; Debian's chromium when missing), builds
# the Go binaries, and runs these steps, each on its own provider, APIs and gwmcp started on
# free loopback ports and stopped afterwards:
#   client       client.mjs, once for each way the provider authenticates gwmcp
#                (client_secret_post, then client_secret_basic)
#   cimd         cimd.mjs against `go build -tags conformance`: the same SDK client, its client_id
#                the https URL of a client ID metadata document it serves itself on 127.0.0.1
#                (self-signed certificate made with openssl; the test build trusts it through
#                GWMCP_TEST_CIMD_CA and may fetch from loopback), no registration
#   inspector    inspector.mjs: the Inspector CLI runs its own OAuth, tools/list, tools/call
#   conformance  conformance.mjs: the suite's server scenarios against the product build with a
#                bearer token (expected failures in conformance-expected-failures.yml), and its
#                authorization-server scenarios against gwmcp's issuer
#   fixtures     the suite's server scenarios against `go build -tags conformance`, which also
#                serves the suite's fixtures (conformance-fixtures-expected-failures.yml)
# Exit status 0 only when every step passed; the servers' logs are printed on failure.
#
# Environment: CHROMIUM (default /usr/bin/chromium), KEEP_LOGS=1 to print the servers' logs
# even on success, E2E_STEPS (default "client cimd inspector conformance fixtures"; "hold" starts a
# stack and waits, for trying a client by hand, E2E_HOLD_BUILD=conformance for the test build),
# E2E_AUTH_METHODS (client step; default "post basic").
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
chromium_bin="${CHROMIUM:-/usr/bin/chromium}"
started=$SECONDS

say() { printf '[e2e/node %3ds] %s\n' "$((SECONDS - started))" "$*"; }
die() { echo "e2e/node: $*" >&2; exit 1; }

# --- what it needs ----------------------------------------------------------------------
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=""
apt_install() {
  [ -n "$apt_updated" ] || { as_root apt-get update -qq; apt_updated=1; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
command -v npm >/dev/null 2>&1 || { say "installing nodejs and npm (Debian)"; apt_install nodejs npm; }
command -v curl >/dev/null 2>&1 || { say "installing curl (Debian)"; apt_install curl; }
[ -x "$chromium_bin" ] || { say "installing chromium (Debian)"; apt_install chromium; }
command -v go >/dev/null 2>&1 || die "go is required"
[[ " ${E2E_STEPS:-cimd} " != *" cimd "* ]] || command -v openssl >/dev/null 2>&1 || { say "installing openssl (Debian)"; apt_install openssl; }

cd "$here"
# npm ci only when package.json or the lock changed since the last install here.
stamp="node_modules/.gwmcp-e2e-installed"
want="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || [ ! -x node_modules/.bin/node ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  echo "$want" >"$stamp"
fi
node22="$here/node_modules/.bin/node" # Node 22, from the npm package node@22
"$node22" --version | grep -q '^v22\.' || die "node_modules/.bin/node is not Node 22"

work="$(mktemp -d "${TMPDIR:-/tmp}/gwmcp-e2e-node-XXXXXX")"
pids=()
show_logs() {
  local f
  for f in "$work"/pass-*/{idp,sandbox,gwmcp}.log; do
    [ -f "$f" ] && { echo "----- ${f#"$work"/} (last 60 lines)"; tail -n 60 "$f"; }
  done
}
stop_all() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}
cleanup() {
  local rc=$?
  stop_all
  if [ "$rc" != 0 ] || [ "${KEEP_LOGS:-}" = 1 ]; then show_logs; fi
  rm -rf "$work"
  say "done (exit $rc)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "go build ./cmd/gwmcp ./cmd/gwmcp-sandbox"
(cd "$repo" && CGO_ENABLED=0 go build -o "$work/bin/" ./cmd/gwmcp ./cmd/gwmcp-sandbox)

free_port() { "$node22" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
# first_line_value FILE PID NAME: the URL a server prints as "issuer=URL" on its first line.
first_line_value() {
  local v
  for _ in $(seq 1 150); do
    v="$(sed -n 's/^issuer=//p' "$1" 2>/dev/null | head -1)"
    [ -n "$v" ] && { echo "$v"; return 0; }
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  die "$3 printed no issuer= line"
}
wait_http() { # URL PID NAME
  for _ in $(seq 1 200); do
    kill -0 "$2" 2>/dev/null || die "$3 exited before it was ready"
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  die "$3 never answered at $1"
}

# start_stack NAME METHOD GWMCP_BIN [VAR=VALUE...]: starts the provider (authenticating gwmcp by
# client_secret_METHOD), the APIs and gwmcp on free loopback ports, logs under $work/pass-NAME;
# sets dir, base, issuer, client_id and apis. stop_all stops them. VAR=VALUE pairs go into
# gwmcp's environment.
start_stack() {
  local name=$1 method=$2 gwmcp_bin=$3
  shift 3
  dir="$work/pass-$name"
  mkdir -p "$dir/gw" "$dir/home"
  local gw_port client_secret
  gw_port="$(free_port)"
  base="http://127.0.0.1:$gw_port"
  client_id="gwmcp-e2e-$name.apps.googleusercontent.com"
  client_secret="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"

  IDP_CLIENT_ID="$client_id" IDP_CLIENT_SECRET="$client_secret" IDP_REDIRECT_URI="$base/oauth2callback" \
    IDP_LOGIN=bob@sandbox.example IDP_CLIENT_AUTH="$method" \
    "$node22" "$here/idp.mjs" >"$dir/idp.out" 2>"$dir/idp.log" &
  pids+=($!)
  issuer="$(first_line_value "$dir/idp.out" $! "the provider")"
  wait_http "$issuer/.well-known/openid-configuration" "${pids[-1]}" "the provider"

  # The Workspace APIs: gwmcp-sandbox, accepting tokens the provider's userinfo endpoint vouches
  # for. Its own OAuth client is unused (gwmcp logs in at the provider).
  GWMCP_SANDBOX_CLIENT_SECRET="unused-$client_secret" "$work/bin/gwmcp-sandbox" --listen 127.0.0.1:0 \
    --client-id unused.apps.googleusercontent.com --trust-userinfo "$issuer/v1/userinfo" --verbose \
    >"$dir/sandbox.out" 2>"$dir/sandbox.log" &
  pids+=($!)
  apis="$(first_line_value "$dir/sandbox.out" $! "gwmcp-sandbox")"

  say "[$name] gwmcp at $base, login at $issuer (client_secret_$method), APIs at $apis"
  # Nothing of this machine's environment but PATH; a working directory without a .env.
  (cd "$dir/gw" && exec env -i PATH="$PATH" HOME="$dir/home" \
    CREDENTIALS_DIR="$dir/creds" BASE_URL="$base" \
    GOOGLE_OAUTH_ISSUER="$issuer" GOOGLE_API_BASE_URL="$apis" \
    GOOGLE_CLIENT_ID="$client_id" GOOGLE_CLIENT_SECRET="$client_secret" \
    ENHANCED_LOGGING=true "$@" \
    "$gwmcp_bin" serve --transport http --host 127.0.0.1 --port "$gw_port") >"$dir/gwmcp.out" 2>"$dir/gwmcp.log" &
  pids+=($!)
  wait_http "$base/ready" "${pids[-1]}" "gwmcp"
}

# pass METHOD: one full run of client.mjs with the provider authenticating gwmcp by
# client_secret_METHOD.
pass() {
  local method=$1
  start_stack "$method" "$method" "$work/bin/gwmcp"
  say "[$method] client.mjs (Node $("$node22" --version), MCP TypeScript SDK, Chromium)"
  GWMCP_URL="$base" IDP_ISSUER="$issuer" IDP_CLIENT_ID="$client_id" CHROMIUM="$chromium_bin" \
    OUT_DIR="$here/out" GWMCP_DRIVE="${GWMCP_DRIVE:-1}" \
    "$node22" "$here/client.mjs" | sed -u "s/^/[$method] /"
  # The upstream login really used this authentication method.
  grep -q "\"msg\":\"grant.success\",\"grant_type\":\"authorization_code\",\"auth\":\"client_secret_$method\"" "$dir/idp.log" ||
    die "[$method] gwmcp's code exchange at the provider did not use client_secret_$method"
  stop_all
}

# inspector: client 2, the MCP Inspector CLI running its own OAuth (Chromium approves).
inspector_step() {
  start_stack inspector post "$work/bin/gwmcp"
  say "[inspector] MCP Inspector CLI $(jq_version @modelcontextprotocol/inspector)"
  GWMCP_URL="$base" CHROMIUM="$chromium_bin" WORK_DIR="$dir" \
    "$node22" "$here/inspector.mjs" | sed -u "s/^/[inspector] /"
  stop_all
}

# conformance: the official conformance suite's server scenarios against the product gwmcp
# with a bearer token, and its authorization-server scenarios against gwmcp's issuer.
conformance_step() {
  start_stack conformance post "$work/bin/gwmcp"
  say "[conformance] conformance suite $(jq_version @modelcontextprotocol/conformance): login for a bearer token"
  GWMCP_URL="$base" CHROMIUM="$chromium_bin" "$node22" "$here/login.mjs" "$dir/token.json" | sed -u "s/^/[conformance] /"
  say "[conformance] server scenarios (product build)"
  GWMCP_URL="$base" TOKEN_FILE="$dir/token.json" RESULTS="$dir/results-server" \
    "$node22" "$here/conformance.mjs" server "$here/conformance-expected-failures.yml" | sed -u "s/^/[conformance] /"
  say "[conformance] authorization-server scenarios"
  GWMCP_URL="$base" CHROMIUM="$chromium_bin" RESULTS="$dir/results-as" \
    "$node22" "$here/conformance.mjs" authorization | sed -u "s/^/[conformance] /"
  stop_all
}

# build_conformance: `go build -tags conformance ./cmd/gwmcp` into $work/bin, once.
build_conformance() {
  [ -x "$work/bin/gwmcp-conformance" ] && return 0
  say "go build -tags conformance ./cmd/gwmcp"
  (cd "$repo" && CGO_ENABLED=0 go build -tags conformance -o "$work/bin/gwmcp-conformance" ./cmd/gwmcp)
}

# cimd: client 1's second run, with a client ID metadata document instead of registration.
# The document is served by cimd.mjs over https on 127.0.0.1 with a certificate made here; the
# conformance build trusts it (GWMCP_TEST_CIMD_CA) and may fetch it from loopback.
cimd_step() {
  build_conformance
  mkdir -p "$work/cimd-tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$work/cimd-tls/key.pem" -out "$work/cimd-tls/cert.pem" 2>/dev/null ||
    die "[cimd] openssl could not make the test certificate"
  start_stack cimd post "$work/bin/gwmcp-conformance" GWMCP_TEST_CIMD_CA="$work/cimd-tls/cert.pem"
  say "[cimd] cimd.mjs (MCP TypeScript SDK with a client ID metadata document, Chromium)"
  GWMCP_URL="$base" CHROMIUM="$chromium_bin" OUT_DIR="$here/out" \
    CIMD_CERT="$work/cimd-tls/cert.pem" CIMD_KEY="$work/cimd-tls/key.pem" \
    "$node22" "$here/cimd.mjs" | sed -u "s/^/[cimd] /"
  stop_all
}

# fixtures: the whole server suite against `go build -tags conformance` (gwmcp plus the
# suite's fixture tools, resources and prompts).
fixtures_step() {
  build_conformance
  start_stack fixtures post "$work/bin/gwmcp-conformance"
  GWMCP_URL="$base" CHROMIUM="$chromium_bin" "$node22" "$here/login.mjs" "$dir/token.json" | sed -u "s/^/[fixtures] /"
  say "[fixtures] server scenarios (conformance build)"
  GWMCP_URL="$base" TOKEN_FILE="$dir/token.json" RESULTS="$dir/results-server" \
    "$node22" "$here/conformance.mjs" server "$here/conformance-fixtures-expected-failures.yml" | sed -u "s/^/[fixtures] /"
  stop_all
}

# hold: start a stack (the conformance build when E2E_HOLD_BUILD=conformance) and wait, for
# trying clients by hand.
hold_step() {
  local bin="$work/bin/gwmcp"
  if [ "${E2E_HOLD_BUILD:-}" = conformance ]; then
    build_conformance
    bin="$work/bin/gwmcp-conformance"
  fi
  start_stack hold post "$bin"
  say "[hold] holding; Ctrl-C stops (logs in $dir)"
  echo "GWMCP_URL=$base IDP_ISSUER=$issuer" >"${E2E_HOLD_FILE:-/dev/null}"
  while sleep 1; do :; done
}

jq_version() { "$node22" -p "require('$here/node_modules/$1/package.json').version"; }

for step in ${E2E_STEPS:-client cimd inspector conformance fixtures}; do
  case "$step" in
  client)
    for method in ${E2E_AUTH_METHODS:-post basic}; do
      case "$method" in post | basic) pass "$method" ;; *) die "E2E_AUTH_METHODS: $method is not post or basic" ;; esac
    done
    ;;
  cimd) cimd_step ;;
  inspector) inspector_step ;;
  conformance) conformance_step ;;
  fixtures) fixtures_step ;;
  hold) hold_step ;;
  *) die "E2E_STEPS: $step is not one of client, cimd, inspector, conformance, fixtures, hold" ;;
  esac
done
