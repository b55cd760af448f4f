// openid-client against door-idp's d-account profile: an issuer with a
// trailing slash, three origins (authorization, issuer/token/userinfo, JWKS),
// a JWKS whose RSA key has no kid and a zero-padded modulus, pairwise
// subjects, client_secret_basic, RS256 and HS256 id_tokens, userinfo, refresh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startIdp, rejectsMatching, assertCleanShutdown } from './lib/harness.mjs';
import { configure, login, joseVerify, client } from './lib/rp.mjs';

const P = 'daccount';
const RS = { id: 'interop-da-rs', secret: 'interop-daccount-rs-secret-0123456789abcdef', auth: 'basic', alg: 'RS256' };
const HS = { id: 'interop-da-hs', secret: 'interop-daccount-hs-secret-0123456789abcdef', auth: 'basic', alg: 'HS256' };
const USER = 'taro';

let idp;
before(async () => { idp = await startIdp(); });
after(async () => { await idp?.stop(); });

test('discovery: trailing-slash issuer, three origins', async () => {
  const prof = idp.profile(P);
  assert.ok(prof.issuer.endsWith('/'), `issuer ${prof.issuer} ends with /`);
  const config = await configure(idp, P, RS);
  const m = config.serverMetadata();
  assert.equal(m.issuer, prof.issuer);
  const origins = new Set([m.authorization_endpoint, m.token_endpoint, m.jwks_uri]
    .map((u) => new URL(u).origin));
  assert.equal(origins.size, 3, `three origins: ${[...origins].join(' ')}`);
  assert.deepEqual(m.id_token_signing_alg_values_supported.slice().sort(), ['HS256', 'RS256']);
});

test('JWKS: one RSA key, no kid, modulus with a leading zero octet', async () => {
  const res = await fetch(idp.profile(P).jwks_uri);
  assert.equal(res.status, 200);
  const { keys } = await res.json();
  assert.equal(keys.length, 1);
  assert.equal(keys[0].kty, 'RSA');
  assert.equal(keys[0].kid, undefined);
  const n = Buffer.from(keys[0].n, 'base64url');
  assert.equal(n[0], 0, 'zero-padded n');
  assert.equal(n.length, 257, '2048-bit modulus plus the zero octet');
});

test('RS256 client: login (signature checked), userinfo, refresh', async () => {
  const config = await configure(idp, P, RS);
  client.enableNonRepudiationChecks(config); // kid-less, zero-padded JWKS
  const { tokens, nonce } = await login(config, { user: USER, pkce: false });
  const claims = tokens.claims();
  assert.equal(claims.iss, idp.profile(P).issuer);
  assert.equal(claims.aud, RS.id);
  assert.match(claims.sub, /^[A-Za-z0-9_-]{43}$/, 'pairwise subject');
  const { protectedHeader } = await joseVerify(idp, P, tokens.id_token,
    { clientId: RS.id, algorithms: ['RS256'], nonce });
  assert.equal(protectedHeader.alg, 'RS256');
  assert.equal(protectedHeader.kid, undefined);

  const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  assert.equal(info.sub, claims.sub); // scope openid: the subject alone

  assert.ok(tokens.refresh_token, 'a refresh token');
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.ok(refreshed.access_token);
  if (refreshed.id_token) assert.equal(refreshed.claims().sub, claims.sub);
  const info2 = await client.fetchUserInfo(config, refreshed.access_token, claims.sub);
  assert.equal(info2.sub, claims.sub);
});

test('pairwise: the two clients see different subjects for one user', async () => {
  const a = await login(await configure(idp, P, RS), { user: USER, pkce: false });
  const b = await login(await configure(idp, P, HS), { user: USER, pkce: false });
  assert.notEqual(a.tokens.claims().sub, b.tokens.claims().sub);
});

test('HS256 client: login, id_token verified by jose with the client secret', async () => {
  const config = await configure(idp, P, HS);
  const { tokens, nonce } = await login(config, { user: USER, pkce: false });
  const { protectedHeader, payload } = await joseVerify(idp, P, tokens.id_token,
    { clientId: HS.id, secret: HS.secret, algorithms: ['HS256'], nonce });
  assert.equal(protectedHeader.alg, 'HS256');
  const info = await client.fetchUserInfo(config, tokens.access_token, payload.sub);
  assert.equal(info.sub, payload.sub);
});

test('PKCE is accepted (and ignored) by d-account', async () => {
  const config = await configure(idp, P, RS);
  const { tokens } = await login(config, { user: USER, pkce: true });
  assert.ok(tokens.id_token);
});

test('openid-client (non-repudiation checks) refuses a bad RS256 signature', async () => {
  const config = await configure(idp, P, RS);
  client.enableNonRepudiationChecks(config);
  await idp.arm('id_token.sig_bad', { profile: P, clientId: RS.id });
  await rejectsMatching(login(config, { user: USER, pkce: false }), /JWT signature verification failed/);
});

test('openid-client refuses an id_token from another issuer', async () => {
  const config = await configure(idp, P, RS);
  await idp.arm('id_token.iss_wrong', { profile: P, clientId: RS.id });
  await rejectsMatching(login(config, { user: USER, pkce: false }), /unexpected JWT "iss" \(issuer\) claim value/);
});

test('door-idp exits cleanly on SIGTERM', async () => {
  await assertCleanShutdown(idp);
});
