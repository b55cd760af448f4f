// The relying party's side of an interop login, done by openid-client 6
// (an OpenID-certified RP), and the independent id_token check by jose.
import * as client from 'openid-client';
import * as jose from 'jose';
import { authorize } from './harness.mjs';

export const REDIRECT = 'https://127.0.0.1:1/cb';

// openid-client Configuration from door-idp's discovery document.
// `auth` is 'basic', 'post' or 'none'.
export async function configure(idp, profileName, c) {
  const prof = idp.profile(profileName);
  const meta = {};
  if (c.secret) meta.client_secret = c.secret;
  if (c.alg) meta.id_token_signed_response_alg = c.alg;
  const auth = c.auth === 'post' ? client.ClientSecretPost(c.secret)
    : c.auth === 'none' ? client.None()
      : client.ClientSecretBasic(c.secret);
  const config = await client.discovery(new URL(prof.issuer), c.id, meta, auth);
  return config;
}

// A full authorization code login by openid-client: authorization URL, the
// browser step (door-idp auto-approves login_hint), then the code grant with
// PKCE, state and nonce checks. Returns what the test needs to go on.
export async function login(config, { user, pkce = true, scope = 'openid',
  redirectUri = REDIRECT, extra = {}, checks = {} }) {
  const state = client.randomState();
  const nonce = client.randomNonce();
  const params = { redirect_uri: redirectUri, scope, state, nonce, login_hint: user, ...extra };
  let verifier;
  if (pkce) {
    verifier = client.randomPKCECodeVerifier();
    params.code_challenge = await client.calculatePKCECodeChallenge(verifier);
    params.code_challenge_method = 'S256';
  }
  const url = client.buildAuthorizationUrl(config, params);
  const callback = await authorize(url);
  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
    ...checks,
  });
  return { tokens, callback, state, nonce, verifier, url };
}

// jose's own verification of a JWS against door-idp's published JWKS
// (fetched over HTTPS by jose), or with an HS256 client secret.
export async function joseVerify(idp, profileName, jwt, { clientId, secret, algorithms,
  nonce } = {}) {
  const prof = idp.profile(profileName);
  const key = secret ? new TextEncoder().encode(secret)
    : jose.createRemoteJWKSet(new URL(prof.jwks_uri), { cacheMaxAge: 0, cooldownDuration: 0 });
  const { payload, protectedHeader } = await jose.jwtVerify(jwt, key, {
    issuer: prof.issuer,
    audience: clientId,
    algorithms,
    clockTolerance: 5,
  });
  if (nonce !== undefined && payload.nonce !== nonce) {
    throw new Error(`nonce ${payload.nonce} is not ${nonce}`);
  }
  return { payload, protectedHeader };
}

export { client, jose };
