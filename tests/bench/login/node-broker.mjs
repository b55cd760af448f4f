// The login benchmark's peer: a small login broker on openid-client 6 doing
// the work door-broker does for a login, with the same routes:
//   GET /login/{provider}?return_to=/...  PKCE S256 verifier, state and
//       nonce kept server-side under a random cookie; 302 to the provider
//   GET /callback/{provider}  the pending login taken (once), code exchange
//       (client_secret_post), RFC 9207 iss, state, nonce and the ID token's
//       signature checked against the provider's JWKS
//       (enableNonRepudiationChecks), userinfo; a new session (256 random
//       bits in a cookie) in an in-memory map; 302 to return_to
//   GET /api/session  the session as JSON, 401 without one
// usage: node-broker.mjs --issuer URL --client-id ID --client-secret S
//                        --public-url URL --ready-file F [--port N]
// Plain HTTP on 127.0.0.1 (the benchmark runs every server on plain HTTP).
import { createHash, randomBytes } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import * as client from 'openid-client';

const opts = { port: 0 };
for (let i = 2; i < process.argv.length; i++) {
  const k = process.argv[i];
  const v = process.argv[++i];
  if (v === undefined) throw new Error(`${k} needs a value`);
  switch (k) {
    case '--issuer': opts.issuer = v; break;
    case '--client-id': opts.clientId = v; break;
    case '--client-secret': opts.clientSecret = v; break;
    case '--public-url': opts.publicUrl = v.replace(/\/$/, ''); break;
    case '--ready-file': opts.readyFile = v; break;
    case '--port': opts.port = Number(v); break;
    default: throw new Error(`unknown argument ${k}`);
  }
}
for (const k of ['issuer', 'clientId', 'clientSecret', 'publicUrl', 'readyFile']) {
  if (!opts[k]) throw new Error(`--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} is required`);
}

const PROVIDER = 'xmarket';
const SCOPE = 'openid tickets';
const LOGIN_TTL_MS = 10 * 60 * 1000;
const SESSION_TTL_MS = 2 * 60 * 60 * 1000;

const config = await client.discovery(new URL(opts.issuer), opts.clientId, undefined,
  client.ClientSecretPost(opts.clientSecret), { execute: [client.allowInsecureRequests] });
client.enableNonRepudiationChecks(config);

const pending = new Map(); // cookie value -> { verifier, state, nonce, returnTo, expires }
const sessions = new Map(); // sha256(cookie value) -> { iss, sub, name, created, expires }
const sweep = setInterval(() => {
  const now = Date.now();
  for (const [k, v] of pending) if (v.expires < now) pending.delete(k);
  for (const [k, v] of sessions) if (v.expires < now) sessions.delete(k);
}, 60000);
sweep.unref();

const hash = (s) => createHash('sha256').update(s).digest('base64url');

function cookies(req) {
  const out = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(body);
}

// return_to: a path on this broker only.
function returnTo(v) {
  if (!v) return '/';
  if (!v.startsWith('/') || v.startsWith('//') || v.includes('\\')) return null;
  return v;
}

async function login(req, res, url) {
  const rt = returnTo(url.searchParams.get('return_to'));
  if (rt === null) return send(res, 400, 'return_to refused\n');
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const challenge = await client.calculatePKCECodeChallenge(verifier);
  const id = randomBytes(32).toString('base64url');
  pending.set(id, { verifier, state, nonce, returnTo: rt, expires: Date.now() + LOGIN_TTL_MS });
  const to = client.buildAuthorizationUrl(config, {
    redirect_uri: `${opts.publicUrl}/callback/${PROVIDER}`,
    scope: SCOPE, state, nonce, code_challenge: challenge, code_challenge_method: 'S256',
  });
  send(res, 302, '', {
    location: to.href,
    'set-cookie': `nb-login=${id}; Path=/callback/; Max-Age=600; HttpOnly; SameSite=Lax`,
  });
}

async function callback(req, res, url) {
  const id = cookies(req)['nb-login'];
  const p = id && pending.get(id);
  if (id) pending.delete(id); // one use, whatever happens next
  if (!p || p.expires < Date.now()) return send(res, 400, 'no pending login\n');
  let tokens;
  let info;
  try {
    tokens = await client.authorizationCodeGrant(config, new URL(req.url, opts.publicUrl), {
      pkceCodeVerifier: p.verifier, expectedState: p.state, expectedNonce: p.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    info.iss = claims.iss;
  } catch (e) {
    return send(res, 502, `login failed: ${e.message}\n`);
  }
  const sid = randomBytes(32).toString('base64url');
  const now = Date.now();
  sessions.set(hash(sid), { iss: info.iss, sub: info.sub, name: info.name, created: now, expires: now + SESSION_TTL_MS });
  send(res, 302, '', {
    location: p.returnTo,
    'set-cookie': [`nb-session=${sid}; Path=/; Max-Age=7200; HttpOnly; SameSite=Lax`,
                   'nb-login=; Path=/callback/; Max-Age=0; HttpOnly; SameSite=Lax'],
  });
}

function session(req, res) {
  const sid = cookies(req)['nb-session'];
  const s = sid && sessions.get(hash(sid));
  if (!s || s.expires < Date.now()) {
    return send(res, 401, '{"error":"not_signed_in"}\n', { 'content-type': 'application/json' });
  }
  send(res, 200, JSON.stringify({ iss: s.iss, sub: s.sub, name: s.name, created_at: s.created }) + '\n',
       { 'content-type': 'application/json' });
}

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url, opts.publicUrl);
    if (req.method !== 'GET') return send(res, 405, 'method not allowed\n');
    if (url.pathname === `/login/${PROVIDER}`) return await login(req, res, url);
    if (url.pathname === `/callback/${PROVIDER}`) return await callback(req, res, url);
    if (url.pathname === '/api/session') return session(req, res);
    if (url.pathname === '/') return send(res, 200, 'node-broker\n');
    return send(res, 404, 'not found\n');
  } catch (e) {
    if (!res.headersSent) send(res, 500, `error: ${e.message}\n`);
  }
});
server.keepAliveTimeout = 30000;
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(opts.port, '127.0.0.1', resolve);
});
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
const tmp = `${opts.readyFile}.tmp`;
writeFileSync(tmp, JSON.stringify({ pid: process.pid, port: server.address().port }) + '\n');
renameSync(tmp, opts.readyFile);
