// Asks a server's token endpoint once, the way the benchmark will, and checks
// that the answer really is an ES256-signed JWT access token that verifies
// against the server's published JWKS. Exits non-zero otherwise.
// usage: check-token.mjs NAME TOKEN_URL JWKS_URL  (env BENCH_BODY, BENCH_AUTH)
import { decodeProtectedHeader, createLocalJWKSet, jwtVerify } from 'jose';

const [name, tokenUrl, jwksUrl] = process.argv.slice(2);
if (!jwksUrl) {
  console.error('usage: check-token.mjs NAME TOKEN_URL JWKS_URL');
  process.exit(2);
}
const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
if (process.env.BENCH_AUTH) headers.authorization = process.env.BENCH_AUTH;
const res = await fetch(tokenUrl, {
  method: 'POST', headers, body: process.env.BENCH_BODY ?? 'grant_type=client_credentials',
});
const text = await res.text();
if (res.status !== 200) {
  console.error(`${name}: token endpoint answered ${res.status}: ${text.slice(0, 300)}`);
  process.exit(1);
}
const body = JSON.parse(text);
const at = body.access_token;
if (typeof at !== 'string' || at.split('.').length !== 3) {
  console.error(`${name}: access_token is not a JWS compact JWT: ${text.slice(0, 300)}`);
  process.exit(1);
}
const hdr = decodeProtectedHeader(at);
if (hdr.alg !== 'ES256') {
  console.error(`${name}: access token alg is ${hdr.alg}, not ES256`);
  process.exit(1);
}
const jwksRes = await fetch(jwksUrl);
if (jwksRes.status !== 200) {
  console.error(`${name}: JWKS answered ${jwksRes.status}`);
  process.exit(1);
}
const jwks = createLocalJWKSet(await jwksRes.json());
// Only the signature matters here; claims differ from server to server.
const { payload } = await jwtVerify(at, jwks, { algorithms: ['ES256'], clockTolerance: 60 });
console.log(`check: ${name} token is an ES256 JWT, kid=${hdr.kid ?? '-'}, ` +
  `typ=${hdr.typ ?? '-'}, ${at.length} bytes, signature verified against its JWKS, ` +
  `claims: ${Object.keys(payload).sort().join(',')}`);
