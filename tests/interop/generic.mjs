// openid-client against door-idp's generic profile: discovery, PKCE (S256),
// RFC 9207 iss in the authorization response, RS256 (client_secret_basic)
// and ES256 (client_secret_post) id_tokens, a public client, userinfo,
// refresh; and openid-client refusing what it must refuse.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startIdp, authorize, rejectsMatching, assertCleanShutdown } from './lib/harness.mjs';
import { configure, login, joseVerify, client, REDIRECT } from './lib/rp.mjs';

const P = 'generic';
const RS = { id: 'interop-gen-rs', secret: 'interop-generic-rs-secret-0123456789abcdef', auth: 'basic' };
const ES = { id: 'interop-gen-es', secret: 'interop-generic-es-secret-0123456789abcdef', auth: 'post', alg: 'ES256' };
const PUB = { id: 'interop-gen-public', auth: 'none' };
const USER = 'alice';

let idp;
before(async () => { idp = await startIdp(); });
after(async () => { await idp?.stop(); });

test('discovery document is accepted and advertises RFC 9207 iss', async () => {
  const config = await configure(idp, P, RS);
  const m = config.serverMetadata();
  assert.equal(m.issuer, idp.profile(P).issuer);
  assert.equal(m.authorization_response_iss_parameter_supported, true);
  assert.ok(m.code_challenge_methods_supported.includes('S256'));
  assert.equal(m.token_endpoint, idp.profile(P).token_endpoint);
});

test('RS256 client (client_secret_basic): login, userinfo, refresh', async () => {
  const config = await configure(idp, P, RS);
  client.enableNonRepudiationChecks(config); // verify the id_token signature too
  const { tokens, callback, nonce } = await login(config, { user: USER, scope: 'openid profile email offline_access' });
  assert.equal(callback.searchParams.get('iss'), idp.profile(P).issuer, 'RFC 9207 iss');
  const claims = tokens.claims();
  assert.equal(claims.sub, 'alice-sub');
  assert.equal(claims.aud, RS.id);
  assert.equal(claims.nonce, nonce);
  const { protectedHeader } = await joseVerify(idp, P, tokens.id_token,
    { clientId: RS.id, algorithms: ['RS256'], nonce });
  assert.equal(protectedHeader.alg, 'RS256');
  assert.ok(protectedHeader.kid, 'generic JWKS keys carry a kid');

  const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  assert.equal(info.sub, 'alice-sub');
  assert.equal(info.name, 'Alice');
  assert.equal(info.email, 'alice@example.test');

  assert.ok(tokens.refresh_token, 'offline_access gives a refresh token');
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.ok(refreshed.access_token);
  assert.notEqual(refreshed.access_token, tokens.access_token);
  if (refreshed.id_token) assert.equal(refreshed.claims().sub, 'alice-sub');
  const info2 = await client.fetchUserInfo(config, refreshed.access_token, claims.sub);
  assert.equal(info2.sub, 'alice-sub');
});

test('ES256 client (client_secret_post): login, id_token verified by jose', async () => {
  const config = await configure(idp, P, ES);
  client.enableNonRepudiationChecks(config);
  const { tokens, nonce } = await login(config, { user: USER });
  const { protectedHeader, payload } = await joseVerify(idp, P, tokens.id_token,
    { clientId: ES.id, algorithms: ['ES256'], nonce });
  assert.equal(protectedHeader.alg, 'ES256');
  assert.equal(payload.sub, 'alice-sub');
  const info = await client.fetchUserInfo(config, tokens.access_token, payload.sub);
  assert.equal(info.sub, 'alice-sub');
});

test('public client (none) with PKCE', async () => {
  const config = await configure(idp, P, PUB);
  client.enableNonRepudiationChecks(config);
  const { tokens } = await login(config, { user: USER, redirectUri: 'http://127.0.0.1:1/cb' });
  assert.equal(tokens.claims().sub, 'alice-sub');
});

test('openid-client refuses a wrong RFC 9207 iss', async () => {
  const config = await configure(idp, P, RS);
  await idp.arm('authorize.iss_wrong', { profile: P, clientId: RS.id });
  await rejectsMatching(login(config, { user: USER }), /unexpected "iss" \(issuer\) response parameter value/);
});

test('openid-client refuses a missing RFC 9207 iss', async () => {
  const config = await configure(idp, P, RS);
  await idp.arm('authorize.iss_missing', { profile: P, clientId: RS.id });
  await rejectsMatching(login(config, { user: USER }), /"iss" \(issuer\) missing/);
});

test('openid-client refuses a wrong state', async () => {
  const config = await configure(idp, P, RS);
  await idp.arm('authorize.state_wrong', { profile: P, clientId: RS.id });
  await rejectsMatching(login(config, { user: USER }), /unexpected "state" response parameter value/);
});

test('openid-client refuses a wrong nonce', async () => {
  const config = await configure(idp, P, RS);
  await idp.arm('id_token.nonce_wrong', { profile: P, clientId: RS.id });
  await rejectsMatching(login(config, { user: USER }), /unexpected ID Token "nonce" claim value/);
});

test('openid-client refuses a wrong audience', async () => {
  const config = await configure(idp, P, RS);
  await idp.arm('id_token.aud_wrong', { profile: P, clientId: RS.id });
  await rejectsMatching(login(config, { user: USER }), /unexpected JWT "aud" \(audience\) claim value/);
});

test('openid-client (non-repudiation checks) refuses a bad RS256 signature', async () => {
  const config = await configure(idp, P, RS);
  client.enableNonRepudiationChecks(config);
  await idp.arm('id_token.sig_bad', { profile: P, clientId: RS.id });
  await rejectsMatching(login(config, { user: USER }), /JWT signature verification failed/);
});

test('openid-client refuses an expired id_token', async () => {
  const config = await configure(idp, P, RS);
  await idp.arm('id_token.exp_past', { profile: P, clientId: RS.id });
  await rejectsMatching(login(config, { user: USER }), /unexpected JWT "exp" \(expiration time\) claim value, expiration is past/);
});

test('openid-client refuses an id_token not valid before an hour from now', async () => {
  const config = await configure(idp, P, RS);
  await idp.arm('id_token.nbf_future', { profile: P, clientId: RS.id });
  await rejectsMatching(login(config, { user: USER }), /unexpected JWT "nbf" \(not before\) claim value/);
});

test('openid-client refuses a token response without the id_token', async () => {
  const config = await configure(idp, P, RS);
  await idp.arm('token.no_id_token', { profile: P, clientId: RS.id });
  await rejectsMatching(login(config, { user: USER }), /"id_token" property must be a string/);
});

test('openid-client refuses userinfo for another subject', async () => {
  const config = await configure(idp, P, RS);
  const { tokens } = await login(config, { user: USER });
  await idp.arm('userinfo.sub_wrong', { profile: P, clientId: RS.id });
  await rejectsMatching(client.fetchUserInfo(config, tokens.access_token, tokens.claims().sub),
    /unexpected "response" body "sub" property value/);
});

test('door-idp refuses a wrong PKCE verifier', async () => {
  const config = await configure(idp, P, RS);
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT, scope: 'openid', state, login_hint: USER,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const cb = await authorize(url);
  await assert.rejects(client.authorizationCodeGrant(config, cb, {
    pkceCodeVerifier: client.randomPKCECodeVerifier(), expectedState: state,
  }), (e) => e.error === 'invalid_grant');
});

test('door-idp exits cleanly on SIGTERM', async () => {
  await assertCleanShutdown(idp);
});
