// jose (an independent JOSE implementation) checks door-idp's id_tokens:
// every profile's tokens verify against the published JWKS (or, HS256, the
// client secret), and each signature fault door-idp's admin API arms makes
// jose refuse the token. Each refused token is also checked to be what the
// fault promises, so a refusal is for the right reason.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, createHmac } from 'node:crypto';
import * as jose from 'jose';
import { startIdp, rawLogin, rejectsMatching, assertCleanShutdown } from './lib/harness.mjs';

const REDIRECT = 'https://127.0.0.1:1/cb';
const CASES = [
  { profile: 'daccount', alg: 'RS256', user: 'taro', kids: false,
    client: { id: 'interop-da-rs', secret: 'interop-daccount-rs-secret-0123456789abcdef', auth: 'basic' } },
  { profile: 'daccount', alg: 'HS256', user: 'taro', kids: false,
    client: { id: 'interop-da-hs', secret: 'interop-daccount-hs-secret-0123456789abcdef', auth: 'basic' } },
  { profile: 'xmarket', alg: 'ES256', user: 'hanako', kids: true,
    client: { id: 'interop-xm', secret: 'interop-xmarket-secret-0123456789abcdef', auth: 'basic' } },
  { profile: 'generic', alg: 'RS256', user: 'alice', kids: true,
    client: { id: 'interop-gen-rs', secret: 'interop-generic-rs-secret-0123456789abcdef', auth: 'basic' } },
  { profile: 'generic', alg: 'ES256', user: 'alice', kids: true,
    client: { id: 'interop-gen-es', secret: 'interop-generic-es-secret-0123456789abcdef', auth: 'post' } },
];
for (const c of CASES) c.client.redirectUri = REDIRECT;

let idp;
before(async () => { idp = await startIdp(); });
after(async () => { await idp?.stop(); });

function keyFor(c, jwks) {
  if (c.alg === 'HS256') return new TextEncoder().encode(c.client.secret);
  return jwks ?? jose.createRemoteJWKSet(new URL(idp.profile(c.profile).jwks_uri),
    { cacheMaxAge: 0, cooldownDuration: 0 });
}

async function verify(c, jwt, { jwks, algorithms = [c.alg] } = {}) {
  const prof = idp.profile(c.profile);
  return jose.jwtVerify(jwt, keyFor(c, jwks), {
    issuer: prof.issuer, audience: c.client.id, algorithms, clockTolerance: 5,
  });
}

async function idToken(c) {
  const { tokens, nonce } = await rawLogin(idp, c.profile, c.client, c.user);
  assert.ok(tokens.id_token, 'the token response has an id_token');
  return { jwt: tokens.id_token, nonce };
}

async function armed(c, fault) {
  await idp.arm(fault, { profile: c.profile, clientId: c.client.id });
  const { jwt } = await idToken(c);
  const faults = await idp.admin('GET', '/faults');
  assert.equal(faults.length, 0, `${fault} was used up by the token request`);
  return jwt;
}

const parts = (jwt) => jwt.split('.');

for (const c of CASES) {
  const name = `${c.profile} ${c.alg} (${c.client.id})`;

  test(`${name}: a clean id_token verifies`, async () => {
    const { jwt, nonce } = await idToken(c);
    const { payload, protectedHeader } = await verify(c, jwt);
    assert.equal(protectedHeader.alg, c.alg);
    assert.equal(payload.nonce, nonce);
    if (c.alg !== 'HS256') assert.equal(Boolean(protectedHeader.kid), c.kids);
  });

  test(`${name}: id_token.sig_bad is refused`, async () => {
    const jwt = await armed(c, 'id_token.sig_bad');
    const hdr = jose.decodeProtectedHeader(jwt);
    assert.equal(hdr.alg, c.alg, 'same algorithm, only the signature is bad');
    assert.ok(parts(jwt)[2].length > 0);
    await rejectsMatching(verify(c, jwt), /JWSSignatureVerificationFailed|signature verification failed/);
  });

  test(`${name}: id_token.alg_none is refused`, async () => {
    const jwt = await armed(c, 'id_token.alg_none');
    assert.equal(jose.decodeProtectedHeader(jwt).alg, 'none');
    assert.equal(parts(jwt)[2], '', 'empty signature');
    // Even a verifier that lists every real algorithm must refuse none.
    await rejectsMatching(verify(c, jwt, { algorithms: ['RS256', 'ES256', 'HS256'] }),
      /JOSEAlgNotAllowed|JWSInvalid|alg/i);
  });

  if (c.alg !== 'HS256') {
    test(`${name}: id_token.hs256_pubkey (algorithm confusion) is refused`, async () => {
      const jwt = await armed(c, 'id_token.hs256_pubkey');
      const hdr = jose.decodeProtectedHeader(jwt);
      assert.equal(hdr.alg, 'HS256');
      // The attack is real: the MAC is keyed with a public key's PEM from
      // the JWKS (checked here by hand).
      const { keys } = await (await fetch(idp.profile(c.profile).jwks_uri)).json();
      const [h, p, s] = parts(jwt);
      const macOk = keys.some((k) => {
        const pem = createPublicKey({ key: k, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
        return createHmac('sha256', pem).update(`${h}.${p}`).digest('base64url') === s;
      });
      assert.ok(macOk, 'HMAC over the public key PEM');
      await rejectsMatching(verify(c, jwt), /JOSEAlgNotAllowed|alg/i);
    });

    test(`${name}: id_token.key_unpublished is refused`, async () => {
      const jwt = await armed(c, 'id_token.key_unpublished');
      assert.equal(jose.decodeProtectedHeader(jwt).alg, c.alg);
      await rejectsMatching(verify(c, jwt),
        /JWKSNoMatchingKey|JWSSignatureVerificationFailed|signature verification failed/);
    });
  }

  if (c.kids) {
    test(`${name}: id_token.kid_unknown is refused`, async () => {
      const jwt = await armed(c, 'id_token.kid_unknown');
      const { keys } = await (await fetch(idp.profile(c.profile).jwks_uri)).json();
      const kid = jose.decodeProtectedHeader(jwt).kid;
      assert.ok(kid && !keys.some((k) => k.kid === kid), 'kid names no published key');
      await rejectsMatching(verify(c, jwt), /JWKSNoMatchingKey|no applicable key/);
    });

    test(`${name}: after id_token.key_rotated, a cached JWKS refetches and verifies`, async () => {
      const jwks = keyFor(c); // one RP-side cache across both tokens
      const first = await idToken(c);
      const before = jose.decodeProtectedHeader(first.jwt).kid;
      await verify(c, first.jwt, { jwks });
      const jwt = await armed(c, 'id_token.key_rotated');
      const after = jose.decodeProtectedHeader(jwt).kid;
      assert.notEqual(after, before, 'a new kid');
      const { protectedHeader } = await verify(c, jwt, { jwks });
      assert.equal(protectedHeader.kid, after);
    });
  }
}

test('door-idp exits cleanly on SIGTERM', async () => {
  await assertCleanShutdown(idp);
});
