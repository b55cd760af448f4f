// Browser tests' harness: the real door-idp (interactive login pages, no
// auto-approve) and door-broker over HTTPS on loopback, and Debian's
// chromium driven by playwright-core.  docs/demo.md ("Browser tests").
//
// Environment (set by tests/browser/meson.build):
//   DOOR_IDP, DOOR_BROKER    the built programs
//   DOOR_IDP_SCENARIO        tests/data/idp/demo.json (the demo's users)
//   DOOR_TLS_CERT/KEY        build/certs/server.pem, server.key
//   DOOR_TEST_CA             build/certs/ca.pem (door-broker's ca_file)
//   NODE_EXTRA_CA_CERTS      the same CA, for this script's own fetch
//   DOOR_BROWSER_OUT         where the screenshots go (meson-logs/browser)
//   DOOR_CHROMIUM            the browser (/usr/bin/chromium)
//   DOOR_GATE                build/door-gate (token.mjs: the gate admits)
//   DOOR_ZBARIMG             zbarimg (token.mjs: decodes the QR screenshot)
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export function env(name) {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set: run the browser tests with ` +
      '`meson test -C build --suite browser` (docs/demo.md)');
  }
  return v;
}

const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* gone */ }
  }
});

// A process whose output is kept, and which is stopped with SIGTERM.
function run(exe, args) {
  const child = spawn(exe, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const proc = { child, output: '', exited: null };
  child.stdout.on('data', (b) => { proc.output += b; });
  child.stderr.on('data', (b) => { proc.output += b; });
  child.on('exit', (code, sig) => { proc.exited = { code, sig }; live.delete(child); });
  proc.stop = async () => {
    if (!proc.exited) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 35000);
      await gone;
      clearTimeout(timer);
    }
    return proc.exited;
  };
  return proc;
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// SHA-256 of the certificate's SubjectPublicKeyInfo, base64: what
// chromium's --ignore-certificate-errors-spki-list wants.  Chromium then
// accepts that one key (the test server's) and nothing else untrusted.
export function spkiHash(certPem) {
  const pub = execFileSync('openssl', ['x509', '-in', certPem, '-noout', '-pubkey']);
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: pub });
  return execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: der })
    .toString('base64');
}

// door-idp with the demo's d-account and XMarket profiles, their redirect
// URIs pointing at `base` (the broker), and door-broker on SQLite in front.
export async function startStack() {
  const dir = mkdtempSync(join(tmpdir(), 'door-browser-'));
  const port = await freePort();
  const base = `https://localhost:${port}`;
  const sc = JSON.parse(readFileSync(env('DOOR_IDP_SCENARIO'), 'utf8'));
  const profiles = {};
  for (const name of ['daccount', 'xmarket']) {
    profiles[name] = sc.profiles[name];
    for (const c of profiles[name].clients) c.redirect_uris = [`${base}/callback/${name}`];
  }
  sc.profiles = profiles;
  sc.description = 'tests/browser: demo.json for the broker at ' + base;
  writeFileSync(join(dir, 'scenario.json'), JSON.stringify(sc));
  const secret = (name) => profiles[name].clients[0].client_secret;
  writeFileSync(join(dir, 'daccount.secret'), secret('daccount'), { mode: 0o600 });
  writeFileSync(join(dir, 'xmarket.secret'), secret('xmarket'), { mode: 0o600 });
  writeFileSync(join(dir, 'cookie.key'), randomBytes(32).toString('hex'), { mode: 0o600 });

  const readyFile = join(dir, 'idp.ready');
  const idp = run(env('DOOR_IDP'), [
    '--scenario', join(dir, 'scenario.json'), '--ready-file', readyFile,
    '--tls-cert', env('DOOR_TLS_CERT'), '--tls-key', env('DOOR_TLS_KEY'),
  ]);
  for (let t = Date.now(); !existsSync(readyFile);) {
    if (idp.exited) throw new Error(`door-idp exited before it was ready:\n${idp.output}`);
    if (Date.now() - t > 15000) throw new Error(`door-idp not ready after 15 s:\n${idp.output}`);
    await sleep(20);
  }
  const ready = JSON.parse(readFileSync(readyFile, 'utf8'));

  writeFileSync(join(dir, 'broker.ini'), [
    '# tests/browser (generated)',
    '[broker]',
    `public_url = ${base}/`,
    `listen = 127.0.0.1:${port}`,
    `return_to_allow = ${base}/`,
    `ca_file = ${env('DOOR_TEST_CA')}`,
    `state_dir = ${dir}`,
    `cookie_key_file = ${join(dir, 'cookie.key')}`,
    `tls_cert = ${env('DOOR_TLS_CERT')}`,
    `tls_key = ${env('DOOR_TLS_KEY')}`,
    'threads = 2',
    '[store]',
    `url = sqlite:${join(dir, 'door.db')}`,
    '[provider "daccount"]',
    'type = daccount',
    `issuer = ${ready.profiles.daccount.issuer}`,
    'client_id = door-demo',
    `client_secret_file = ${join(dir, 'daccount.secret')}`,
    'display_name = d アカウント',
    '[provider "xmarket"]',
    'type = xmarket',
    `issuer = ${ready.profiles.xmarket.issuer}`,
    'client_id = door-demo',
    `client_secret_file = ${join(dir, 'xmarket.secret')}`,
    'token_auth_method = client_secret_post',
    'allowed_algs = ES256',
    'scopes = openid profile email',
    'userinfo = yes',
    'display_name = XMarket',
    'keep_claims = sub name email',
    `tickets_endpoint = ${ready.profiles.xmarket.tickets_endpoint}`,
    // demo.json's xm-alice holds an XM_PREMIUM ticket for live-2025, xm-carol
    // none: /account offers this event's entry token (tests/browser/token.mjs).
    '[event "live-2025"]',
    'title = DOOR Live 2025',
    'start = 2025-01-01T00:00:00Z',
    'end = 2099-01-01T00:00:00Z',
    'providers = xmarket',
    'tiers = vip, general, XM_PREMIUM=vip, XM_STANDARD=general',
    'single_use = yes',
    'token_lifetime = 5m',
    '',
  ].join('\n'));
  const broker = run(env('DOOR_BROKER'), ['--config', join(dir, 'broker.ini')]);
  for (let t = Date.now(); ;) {
    if (broker.exited) throw new Error(`door-broker exited before it was ready:\n${broker.output}`);
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.status === 200) break;
    } catch { /* not listening yet */ }
    if (Date.now() - t > 15000) throw new Error(`door-broker not ready after 15 s:\n${broker.output}`);
    await sleep(50);
  }

  return {
    base,
    ready,
    idp,
    broker,
    // Both stop on SIGTERM with status 0 and print no sanitizer report.
    async stop() {
      const results = [['door-broker', broker, await broker.stop()],
                       ['door-idp', idp, await idp.stop()]];
      rmSync(dir, { recursive: true, force: true });
      for (const [name, proc, ex] of results) {
        if (ex.code !== 0) throw new Error(`${name} exited with ${ex.code ?? ex.sig} on SIGTERM:\n${proc.output}`);
        if (/AddressSanitizer|LeakSanitizer|runtime error:/.test(proc.output)) {
          throw new Error(`${name} printed a sanitizer report:\n${proc.output}`);
        }
      }
    },
  };
}

// Debian's chromium, headless, trusting the test server's key and nothing
// else (certificate errors are not ignored otherwise), loopback only.
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  const exe = process.env.DOOR_CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(exe)) {
    throw new Error(`${exe} is missing: ./dev test installs Debian's chromium ` +
      '(apt-get install chromium)');
  }
  // playwright's launch() gives chromium a new, empty --user-data-dir of
  // its own (a temporary directory it deletes at close).
  const browser = await chromium.launch({
    executablePath: exe,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      // No name resolves but localhost (IP literals are mapped too: the
      // loopback ones are let through).
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, ' +
        'EXCLUDE 127.0.0.2, EXCLUDE 127.0.0.3',
      `--ignore-certificate-errors-spki-list=${spkiHash(env('DOOR_TLS_CERT'))}`,
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}

const LOOPBACK = ['localhost', '127.0.0.1', '127.0.0.2', '127.0.0.3', '[::1]'];

// A browser context (its own cookies) recording console errors (a CSP
// violation shows up there) and any request off loopback (none may happen:
// chromium resolves no name but localhost).
export async function newContext(browser, { locale, acceptLanguage }) {
  const ctx = await browser.newContext({
    ignoreHTTPSErrors: false,
    locale,
    extraHTTPHeaders: acceptLanguage ? { 'Accept-Language': acceptLanguage } : {},
    viewport: { width: 900, height: 760 },
  });
  const page = await ctx.newPage();
  page.setDefaultTimeout(15000);
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('request', (r) => {
    const host = new URL(r.url()).hostname;
    if (!LOOPBACK.includes(host)) problems.push(`request off loopback: ${r.url()}`);
  });
  return { ctx, page, problems };
}

const shots = new Map();
// A full-page PNG of the current page into DOOR_BROWSER_OUT, named
// PREFIX-NN-NAME.png (NN counts per prefix: the pages in story order).
export async function screenshot(page, prefix, name) {
  const out = env('DOOR_BROWSER_OUT');
  mkdirSync(out, { recursive: true });
  if (!shots.has(prefix)) {
    // A new run: the previous run's pictures of this prefix go.
    for (const f of readdirSync(out)) {
      if (f.startsWith(`${prefix}-`) && f.endsWith('.png')) rmSync(join(out, f));
    }
  }
  const n = (shots.get(prefix) ?? 0) + 1;
  shots.set(prefix, n);
  const file = join(out, `${prefix}-${String(n).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
