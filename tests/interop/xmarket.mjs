// openid-client against door-idp's XMarket profile: PKCE (S256, required),
// RFC 9207 iss, ES256 id_tokens and JWT access tokens, client_secret_basic,
// userinfo, refresh, client_credentials.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startIdp, rejectsMatching, assertCleanShutdown } from './lib/harness.mjs';
import { configure, login, joseVerify, client } from './lib/rp.mjs';

const P = 'xmarket';
const XM = { id: 'interop-xm', secret: 'interop-xmarket-secret-0123456789abcdef', auth: 'basic', alg: 'ES256' };
const USER = 'hanako';

let idp;
before(async () => { idp = await startIdp(); });
after(async () => { await idp?.stop(); });

test('discovery: ES256 only, S256 PKCE, RFC 9207 iss', async () => {
  const config = await configure(idp, P, XM);
  const m = config.serverMetadata();
  assert.equal(m.issuer, idp.profile(P).issuer);
  assert.deepEqual(m.id_token_signing_alg_values_supported, ['ES256']);
  assert.deepEqual(m.code_challenge_methods_supported, ['S256']);
  assert.equal(m.authorization_response_iss_parameter_supported, true);
});

test('login with PKCE (signature checked), userinfo, refresh', async () => {
  const config = await configure(idp, P, XM);
  client.enableNonRepudiationChecks(config);
  const { tokens, callback, nonce } = await login(config,
    { user: USER, scope: 'openid profile email offline_access' });
  assert.equal(callback.searchParams.get('iss'), idp.profile(P).issuer);
  const claims = tokens.claims();
  assert.equal(claims.aud, XM.id);
  const { protectedHeader } = await joseVerify(idp, P, tokens.id_token,
    { clientId: XM.id, algorithms: ['ES256'], nonce });
  assert.equal(protectedHeader.alg, 'ES256');
  assert.ok(protectedHeader.kid);

  // XMarket access tokens are ES256 JWTs signed with a published key.
  const at = await joseVerify(idp, P, tokens.access_token, { algorithms: ['ES256'] });
  assert.equal(at.payload.sub, claims.sub);

  const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  assert.equal(info.sub, claims.sub);
  assert.equal(info.email, 'hanako@example.test');
  assert.equal(info.name, 'Gugenka Hanako');

  assert.ok(tokens.refresh_token);
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.ok(refreshed.access_token);
  assert.notEqual(refreshed.refresh_token ?? tokens.refresh_token, undefined);
  const info2 = await client.fetchUserInfo(config, refreshed.access_token, claims.sub);
  assert.equal(info2.sub, claims.sub);
});

test('client_credentials gives an ES256 JWT access token', async () => {
  const config = await configure(idp, P, XM);
  const tokens = await client.clientCredentialsGrant(config, { scope: 'tickets' });
  const { protectedHeader, payload } = await joseVerify(idp, P, tokens.access_token,
    { algorithms: ['ES256'] });
  assert.equal(protectedHeader.alg, 'ES256');
  assert.equal(payload.client_id ?? payload.sub, XM.id);
});

test('an authorization request without PKCE is refused', async () => {
  const config = await configure(idp, P, XM);
  await rejectsMatching(login(config, { user: USER, pkce: false }), /invalid_request/);
});

test('openid-client (non-repudiation checks) refuses a bad ES256 signature', async () => {
  const config = await configure(idp, P, XM);
  client.enableNonRepudiationChecks(config);
  await idp.arm('id_token.sig_bad', { profile: P, clientId: XM.id });
  await rejectsMatching(login(config, { user: USER }), /JWT signature verification failed/);
});

test('openid-client refuses a wrong RFC 9207 iss', async () => {
  const config = await configure(idp, P, XM);
  await idp.arm('authorize.iss_wrong', { profile: P, clientId: XM.id });
  await rejectsMatching(login(config, { user: USER }), /unexpected "iss" \(issuer\) response parameter value/);
});

test('door-idp exits cleanly on SIGTERM', async () => {
  await assertCleanShutdown(idp);
});
