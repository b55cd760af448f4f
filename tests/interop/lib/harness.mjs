// Shared by the interop tests: start the real door-idp on ephemeral loopback
// ports, read its ready file, drive its admin API, and do the browser's part
// of a login (GET the authorization URL with login_hint; door-idp, started
// with --auto-approve, answers with a redirect carrying the code).
//
// Environment (set by tests/interop/meson.build):
//   DOOR_IDP             the door-idp executable
//   DOOR_IDP_SCENARIO    tests/data/idp/interop.json
//   DOOR_TLS_CERT/KEY    the build's loopback server certificate and key
//   NODE_EXTRA_CA_CERTS  the build's test CA (so fetch trusts door-idp)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export function env(name) {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set: run the interop tests with ` +
      '`meson test -C build --suite interop` (docs/testing-node.md)');
  }
  return v;
}

const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

// Starts door-idp and resolves once its ready file is there.
export async function startIdp({ scenario, args = [] } = {}) {
  const exe = env('DOOR_IDP');
  const scen = scenario ?? env('DOOR_IDP_SCENARIO');
  const dir = mkdtempSync(join(tmpdir(), 'door-interop-'));
  const readyFile = join(dir, 'ready.json');
  const argv = ['--scenario', scen, '--auto-approve', '--ready-file', readyFile,
                '--tls-cert', env('DOOR_TLS_CERT'), '--tls-key', env('DOOR_TLS_KEY'),
                ...args];
  const child = spawn(exe, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let output = '';
  child.stdout.on('data', (b) => { output += b; });
  child.stderr.on('data', (b) => { output += b; });
  let exited = null;
  child.on('exit', (code, sig) => { exited = { code, sig }; live.delete(child); });
  const deadline = Date.now() + 15000;
  while (!existsSync(readyFile)) {
    if (exited) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`door-idp exited (${exited.code ?? exited.sig}) before it was ready:\n${output}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`door-idp not ready after 15 s:\n${output}`);
    }
    await sleep(20);
  }
  const ready = JSON.parse(readFileSync(readyFile, 'utf8'));
  return {
    ready,
    child,
    output: () => output,
    profile(name) {
      const p = ready.profiles[name];
      if (!p) throw new Error(`door-idp's ready file has no profile ${name}`);
      return p;
    },
    async admin(method, path, body) {
      const res = await fetch(new URL(path, ready.admin), {
        method,
        headers: body ? { 'content-type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      if (res.status >= 300) {
        throw new Error(`admin ${method} ${path}: ${res.status} ${text}`);
      }
      return text ? JSON.parse(text) : null;
    },
    // Arms one fault for the next matching request; resolves to its id.
    async arm(fault, { profile, clientId, endpoint, count = 1, param } = {}) {
      const body = { fault, count };
      if (profile) body.profile = profile;
      if (clientId) body.client_id = clientId;
      if (endpoint) body.endpoint = endpoint;
      if (param !== undefined) body.param = param;
      return (await this.admin('POST', '/faults', body)).id;
    },
    async clearFaults() {
      await this.admin('DELETE', '/faults');
    },
    async stop() {
      if (!exited) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await gone;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
      return exited;
    },
  };
}

// The browser's step: GET the authorization URL without following the
// redirect; returns the redirect target (the client's redirect URI with the
// code, state and, where supported, iss).
export async function authorize(url) {
  const res = await fetch(url, { redirect: 'manual' });
  const loc = res.headers.get('location');
  if (res.status < 300 || res.status > 399 || !loc) {
    throw new Error(`authorization request answered ${res.status} without a redirect: ` +
      (await res.text()).slice(0, 400));
  }
  await res.body?.cancel();
  return new URL(loc);
}

export function basicAuth(id, secret) {
  // RFC 6749 2.3.1: form-urlencode each part, then base64 "id:secret".
  const enc = (s) => encodeURIComponent(s).replace(/%20/g, '+');
  return 'Basic ' + Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64');
}

// A whole login without openid-client (S256 PKCE, state, nonce), for tests
// that look at the raw token response. Returns { tokens, nonce, redirect }.
export async function rawLogin(idp, profileName, client, user, { scope = 'openid' } = {}) {
  const { createHash, randomBytes } = await import('node:crypto');
  const prof = idp.profile(profileName);
  const b64u = (buf) => Buffer.from(buf).toString('base64url');
  const verifier = b64u(randomBytes(32));
  const challenge = b64u(createHash('sha256').update(verifier).digest());
  const state = b64u(randomBytes(16));
  const nonce = b64u(randomBytes(16));
  const url = new URL(prof.authorization_endpoint);
  for (const [k, v] of Object.entries({
    response_type: 'code', client_id: client.id, redirect_uri: client.redirectUri,
    scope, state, nonce, code_challenge: challenge, code_challenge_method: 'S256',
    login_hint: user,
  })) url.searchParams.set(k, v);
  const redirect = await authorize(url);
  if (redirect.searchParams.get('state') !== state) throw new Error('state mismatch');
  const code = redirect.searchParams.get('code');
  if (!code) throw new Error(`no code in ${redirect}`);
  const form = new URLSearchParams({
    grant_type: 'authorization_code', code, redirect_uri: client.redirectUri,
    code_verifier: verifier,
  });
  const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (client.auth === 'post') {
    form.set('client_id', client.id);
    form.set('client_secret', client.secret);
  } else if (client.auth === 'none') {
    form.set('client_id', client.id);
  } else {
    headers.authorization = basicAuth(client.id, client.secret);
  }
  const res = await fetch(prof.token_endpoint, { method: 'POST', headers, body: form });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${text}`);
  return { tokens: JSON.parse(text), nonce, redirect };
}

// Every message in an error's cause chain, joined: openid-client wraps the
// precise reason (oauth4webapi's) in `cause`.
export function errorChain(e) {
  const parts = [];
  for (let x = e, i = 0; x && i < 8; x = x.cause, i++) {
    parts.push(`${x.name ?? 'Error'}: ${x.message ?? String(x)}` + (x.code ? ` [${x.code}]` : ''));
  }
  return parts.join(' <- ');
}

// Resolves when `promise` rejects with an error whose cause chain matches
// `re`; fails (with the whole chain) otherwise.
export async function rejectsMatching(promise, re) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  if (!err) throw new Error(`expected a rejection matching ${re}, got success`);
  const chain = errorChain(err);
  if (process.env.INTEROP_DEBUG) console.error("chain:", chain);
  if (!re.test(chain)) throw new Error(`rejection does not match ${re}: ${chain}`);
  return chain;
}

// The last test of each file: door-idp stops on SIGTERM with exit status 0
// and its output holds no sanitizer report (the ASan/UBSan build's
// door-idp runs these tests too).
export async function assertCleanShutdown(idp) {
  const { code, sig } = await idp.stop();
  const out = idp.output();
  if (code !== 0) throw new Error(`door-idp exited with ${code ?? sig} on SIGTERM:\n${out}`);
  if (/AddressSanitizer|LeakSanitizer|runtime error:/.test(out)) {
    throw new Error(`door-idp printed a sanitizer report:\n${out}`);
  }
}
