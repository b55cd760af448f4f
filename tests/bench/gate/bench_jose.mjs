// jose (npm) verifying the benchmark's participation tokens: jwtVerify with
// the JWKS key imported once, the same checks the gate makes (ES256 only,
// typ, issuer, audience, times with 30 s of leeway).  Rounds of SECONDS of
// this process's CPU time each; prints the median rate.
// usage: tests/node bench_jose.mjs DIR [SECONDS] [ROUNDS]
import { readFileSync } from 'node:fs';
import { importJWK, jwtVerify } from 'jose';

const [dir, secsArg, roundsArg] = process.argv.slice(2);
if (!dir) {
  console.error('usage: bench_jose.mjs DIR [SECONDS] [ROUNDS]');
  process.exit(2);
}
const secs = Number(secsArg ?? 1);
const rounds = Number(roundsArg ?? 5);
const jwks = JSON.parse(readFileSync(`${dir}/jwks.json`, 'utf8'));
const tokens = readFileSync(`${dir}/tokens.txt`, 'utf8').split('\n').filter(Boolean);
const [issuer, audience] = readFileSync(`${dir}/params`, 'utf8').trim().split(' ');
const key = await importJWK(jwks.keys[0], 'ES256');
const options = {
  issuer, audience, typ: 'door-participation+jwt', algorithms: ['ES256'],
  clockTolerance: 30,
};

let next = 0;
async function runFor(seconds) {
  const start = process.cpuUsage();
  let n = 0;
  let used = 0;
  do {
    for (let k = 0; k < 32; k++) {
      const { payload } = await jwtVerify(tokens[next], key, options);
      if (payload.aud !== audience) throw new Error('verification failed');
      next = (next + 1) % tokens.length;
      n++;
    }
    const u = process.cpuUsage(start);
    used = (u.user + u.system) / 1e6;
  } while (used < seconds);
  return n / used;
}

await runFor(0.2); // warm-up: JIT and key caches
const rates = [];
for (let r = 0; r < rounds; r++) rates.push(await runFor(secs));
rates.sort((a, b) => a - b);
console.log(`bench: jose ${Math.round(rates[Math.floor(rates.length / 2)])} verifies/s`);
