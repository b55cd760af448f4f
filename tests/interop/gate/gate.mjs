// jose (npm), an independent JOSE implementation, and door-gate agree on
// participation tokens:
//   - jose verifies the tokens our library issues against our JWKS (alg,
//     typ, kid, issuer, audience, times) and refuses our token for another
//     event, our expired token and a tampered one;
//   - tokens jose signs with a key it adds to our JWKS are admitted by
//     door-gate, and the ones that break a rule are refused with that
//     rule's reason, in input order; --single-use admits a jti once.
// Environment (tests/interop/gate/meson.build): DOOR_GATE (door-gate),
// DOOR_GATE_ISSUE (issue_helper: tokens from door_tickets_issue).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';
import { env } from '../lib/harness.mjs';

const TYP = 'door-participation+jwt';
let dir;
let issued;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'door-interop-gate-'));
  issued = JSON.parse(execFileSync(env('DOOR_GATE_ISSUE'), [dir], { encoding: 'utf8' }));
});
after(() => { rmSync(dir, { recursive: true, force: true }); });

const options = () => ({
  issuer: issued.issuer, audience: issued.event, typ: TYP, algorithms: ['ES256'],
});

test('jose verifies our tokens against our JWKS', async () => {
  const jwks = jose.createLocalJWKSet(issued.jwks);
  const kids = issued.jwks.keys.map((k) => k.kid);
  const jtis = new Set();
  assert.equal(issued.jwks.keys.length, 1);
  assert.equal(issued.jwks.keys[0].kty, 'EC');
  assert.equal(issued.jwks.keys[0].crv, 'P-256');
  assert.equal(issued.jwks.keys[0].d, undefined);
  for (const [i, token] of issued.tokens.entries()) {
    const { payload, protectedHeader } = await jose.jwtVerify(token, jwks, options());
    assert.deepEqual(Object.keys(protectedHeader).sort(), ['alg', 'kid', 'typ']);
    assert.equal(protectedHeader.alg, 'ES256');
    assert.equal(protectedHeader.typ, TYP);
    assert.ok(kids.includes(protectedHeader.kid));
    // the kid is the RFC 7638 thumbprint of the key
    assert.equal(protectedHeader.kid, await jose.calculateJwkThumbprint(issued.jwks.keys[0]));
    assert.deepEqual(Object.keys(payload).sort(),
      ['aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'sub', 'tier']);
    assert.equal(payload.sub, issued.subs[i]);
    assert.match(payload.sub, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(payload.tier, 'vip');
    assert.equal(payload.nbf, payload.iat);
    assert.ok(payload.exp - payload.iat > 0 && payload.exp - payload.iat <= 600);
    jtis.add(payload.jti);
  }
  assert.equal(jtis.size, issued.tokens.length);
  // pairwise: one account, two events, two subjects
  const other = jose.decodeJwt(issued.other_event);
  assert.notEqual(other.sub, issued.subs[0]);
});

test('jose refuses our token for another event, expired or tampered', async () => {
  const jwks = jose.createLocalJWKSet(issued.jwks);
  await assert.rejects(jose.jwtVerify(issued.other_event, jwks, options()),
    { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' });
  await assert.rejects(jose.jwtVerify(issued.expired, jwks,
    { ...options(), audience: 'ev-past' }), { code: 'ERR_JWT_EXPIRED' });
  const t = issued.tokens[0];
  const tampered = t.slice(0, -2) + (t.at(-2) === 'A' ? 'B' : 'A') + t.at(-1);
  await assert.rejects(jose.jwtVerify(tampered, jwks, options()),
    { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
});

function gate(tokens, extra = []) {
  const r = spawnSync(env('DOOR_GATE'), ['verify', '--jwks', join(dir, 'jwks.json'),
    '--issuer', issued.issuer, '--event', issued.event, ...extra],
  { input: tokens.map((t) => `${t}\n`).join(''), encoding: 'utf8' });
  assert.equal(r.stderr, '');
  const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.equal(lines.length, tokens.length);
  return { status: r.status, lines };
}

test('tokens jose signs with a key in our JWKS verify in door-gate', async () => {
  const { publicKey, privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
  const other = await jose.generateKeyPair('ES256');
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'jose-key-1', alg: 'ES256', use: 'sig' };
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [...issued.jwks.keys, jwk] }));
  const now = Math.floor(Date.now() / 1000);
  const claims = (i, more = {}) => ({
    iss: issued.issuer, aud: issued.event, sub: `jose-sub-${i}`, tier: 'general',
    iat: now, nbf: now, exp: now + 300, jti: `jose-jti-${i}`, ...more,
  });
  const sign = (c, { header = {}, key = privateKey } = {}) => new jose.SignJWT(c)
    .setProtectedHeader({ alg: 'ES256', typ: TYP, kid: 'jose-key-1', ...header }).sign(key);
  const noTier = claims(5);
  delete noTier.tier;
  const cases = [
    [await sign(claims(1)), null],
    [issued.tokens[0], null],
    [await sign(claims(2, { aud: 'ev-other' })), 'GATE_AUD'],
    [await sign(claims(3), { header: { typ: 'JWT' } }), 'GATE_TYP'],
    [await sign(claims(4, { exp: now - 120, iat: now - 600, nbf: now - 600 })), 'GATE_EXP'],
    [await sign(noTier), 'GATE_CLAIMS'],
    [await sign(claims(6, { nbf: now + 600 })), 'GATE_NBF'],
    [await sign(claims(7, { iss: 'https://evil.example' })), 'GATE_ISS'],
    [await sign(claims(8), { key: other.privateKey }), 'SIG_INVALID'],
    [await sign(claims(9), { header: { kid: 'unknown-kid' } }), 'KID_UNKNOWN'],
    [await sign(claims(10, { admin: true })), 'GATE_CLAIMS'],
    [await sign(claims(11)), null],
  ];
  const { status, lines } = gate(cases.map(([t]) => t));
  assert.equal(status, 1);
  for (const [i, [, reason]] of cases.entries()) {
    if (reason === null) {
      assert.equal(lines[i].admitted, true, `case ${i}: ${JSON.stringify(lines[i])}`);
    } else {
      assert.equal(lines[i].admitted, false, `case ${i}`);
      assert.equal(lines[i].reason, reason, `case ${i}`);
    }
  }
  assert.equal(lines[0].sub, 'jose-sub-1');
  assert.equal(lines[0].jti, 'jose-jti-1');
  assert.equal(lines[1].sub, issued.subs[0]);
  // only admitted tokens: exit status 0
  assert.equal(gate([cases[0][0], cases[11][0], issued.tokens[1]]).status, 0);
  // single use in one run
  const once = gate([cases[0][0], issued.tokens[2], cases[0][0], issued.tokens[2]], ['--single-use']);
  assert.equal(once.status, 1);
  assert.deepEqual(once.lines.map((l) => l.admitted), [true, true, false, false]);
  assert.deepEqual(once.lines.slice(2).map((l) => l.reason), ['GATE_REPLAYED', 'GATE_REPLAYED']);
});
