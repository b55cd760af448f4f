// Shared by the benchmark's peer servers: argument parsing, ES256 key,
// ready file. A peer listens on 127.0.0.1 (port 0 = the kernel picks one)
// and writes {"pid","port","issuer"} to its ready file once it accepts.
import { writeFileSync, renameSync } from 'node:fs';
import { generateKeyPair, exportJWK } from 'jose';

export function parseArgs(argv) {
  const opts = { port: 0, readyFile: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port') opts.port = Number(argv[++i]);
    else if (a === '--ready-file') opts.readyFile = argv[++i];
    else throw new Error(`unknown argument: ${a}`);
  }
  if (!opts.readyFile) throw new Error('--ready-file FILE is required');
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535)
    throw new Error('--port must be 0..65535');
  return opts;
}

export async function es256PrivateJwk(kid) {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid, alg: 'ES256', use: 'sig' };
}

export function writeReady(file, info) {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify({ pid: process.pid, ...info }) + '\n');
  renameSync(tmp, file);
}

export function stopOnSignals(stop) {
  for (const sig of ['SIGTERM', 'SIGINT']) {
    process.on(sig, async () => {
      try { await stop(); } finally { process.exit(0); }
    });
  }
}

// Credentials every bench token request sends (HTTP Basic); each peer that
// authenticates clients registers this client.
export const BENCH_CLIENT = { id: 'bench-client', secret: 'bench-secret-0123456789abcdef' };
export const BENCH_RESOURCE = 'urn:door:bench:api';
