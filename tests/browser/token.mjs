// Entry tokens in a real browser (Debian's chromium, playwright-core):
// XMarket xm-alice (an XM_PREMIUM ticket for live-2025) signs in through
// door-idp, /account offers the event (and no Unlink for her only sign-in
// method), the button shows the token page without any script; the QR code
// chromium drew is screenshotted and decoded by zbarimg to the token the
// page shows as text, and build/door-gate admits that token once (the event
// is single-use).  xm-carol (no ticket) gets the refusal page with Try
// again; the token page in Japanese.  Screenshots:
// DOOR_BROWSER_OUT/token-NN-*.png.  docs/demo.md.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { env, newContext, screenshot } from './lib.mjs';
import { chromium, page, problems, stack, story } from './story.mjs';

let token;

const { test, shot } = story('token', { locale: 'en-US', acceptLanguage: 'en-US,en;q=0.9' });

// door-idp's interactive pages: the user picker, then the consent page.
async function idpLogin(p, provider, user) {
  const origin = new URL(stack.ready.profiles[provider].authorization_endpoint).origin;
  await p.waitForURL((u) => u.origin === origin);
  await p.locator(`input[name=user][value="${user}"]`).check();
  await Promise.all([p.waitForURL((u) => u.origin === origin && !u.search.includes('door_idp')),
                     p.getByRole('button', { name: 'Continue' }).click()]);
  await p.getByRole('button', { name: 'Allow' }).click();
  await p.waitForURL((u) => u.origin === stack.base);
}

// build/door-gate verify for live-2025 with the broker's JWKS over HTTPS.
function gate(tok) {
  const r = spawnSync(env('DOOR_GATE'), [
    'verify', '--jwks', `${stack.base}/.well-known/jwks.json`, '--issuer', `${stack.base}/`,
    '--event', 'live-2025', '--single-use', '--ca-file', env('DOOR_TEST_CA'),
  ], { input: `${tok}\n${tok}\n`, encoding: 'utf8' });
  return { status: r.status, lines: r.stdout.trim().split('\n').map((l) => JSON.parse(l)) };
}

test('XMarket xm-alice signs in: /account lists the event, no Unlink for her only method', async () => {
  await page.goto(`${stack.base}/`);
  await page.getByRole('link', { name: 'Sign in with XMarket' }).click();
  await idpLogin(page, 'xmarket', 'xm-alice');
  await page.goto(`${stack.base}/account`);
  assert.equal(await page.title(), 'Your DOOR account');
  assert.equal(await page.getByRole('button', { name: 'Unlink' }).count(), 0);
  assert.match(await page.locator('#only-method').textContent(), /only sign-in method, so it cannot be unlinked/);
  await page.getByRole('button', { name: 'Get an entry token for DOOR Live 2025' }).waitFor();
  // Sign out looks like the other full-width buttons (same font, width, border).
  const style = (name) => page.getByRole('button', { name }).evaluate((el) => {
    const s = getComputedStyle(el);
    return [s.fontFamily, s.fontSize, s.width, s.borderRadius, s.display].join('|');
  });
  assert.equal(await style('Sign out'), await style('Link d アカウント'));
  assert.equal(await style('Sign out'), await style('Get an entry token for DOOR Live 2025'));
  // ... and in the page's font, like the link-buttons (a <button> does not
  // inherit it by default).
  const bodyFont = await page.locator('body').evaluate((el) => getComputedStyle(el).fontFamily);
  assert.equal((await style('Sign out')).split('|')[0], bodyFont);
  await shot('account');
});

test('the button shows the token page: event, tier, expiry, QR code and text', async () => {
  await Promise.all([page.waitForURL(`${stack.base}/api/events/live-2025/participation`),
                     page.getByRole('button', { name: 'Get an entry token for DOOR Live 2025' }).click()]);
  assert.equal(await page.title(), 'Your entry token');
  // A plain form POST answered with HTML: no script on the page.
  assert.equal(await page.locator('script').count(), 0);
  assert.equal(await page.locator('#event-title').textContent(), 'DOOR Live 2025');
  assert.equal(await page.locator('#tier').textContent(), 'vip');
  const exp = Number(await page.locator('#expires time').getAttribute('datetime'));
  const now = Math.floor(Date.now() / 1000);
  assert.ok(exp > now && exp <= now + 305, `expires_at ${exp}, now ${now}`);
  assert.match(await page.locator('#expires').textContent(), /UTC \(about [1-5] min from now\)/);
  assert.match(await page.locator('#use').textContent(), /Single use/);
  token = (await page.locator('#token').textContent()).trim();
  assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  // The text wraps inside the page and is selected whole with one click.
  const pre = await page.locator('#token').evaluate((el) => {
    const s = getComputedStyle(el);
    return { ws: s.whiteSpace, wb: s.wordBreak, us: s.userSelect, font: s.fontFamily,
             fits: el.scrollWidth <= el.clientWidth };
  });
  assert.deepEqual([pre.ws, pre.wb, pre.us, pre.fits], ['pre-wrap', 'break-all', 'all', true]);
  assert.match(pre.font, /mono/i);
  const qr = page.locator('#qr svg');
  assert.ok(await qr.isVisible());
  const box = await qr.boundingBox();
  assert.ok(box.width >= 250 && Math.abs(box.width - box.height) < 1, `QR box ${JSON.stringify(box)}`);
  await shot('token-page');
});

test('the QR code chromium drew decodes (zbarimg) to the token on the page', async () => {
  const dir = join(env('DOOR_BROWSER_OUT'));
  mkdirSync(dir, { recursive: true });
  const png = join(dir, 'token-qr.png');
  await page.locator('#qr svg').screenshot({ path: png });
  const out = execFileSync(env('DOOR_ZBARIMG'), ['--raw', '-q', '-Sdisable', '-Sqrcode.enable', '-Sbinary', png],
                           { encoding: 'utf8' });
  assert.equal(out.replace(/\n$/, ''), token);
});

test('door-gate admits the token once (single-use event)', async () => {
  const g = gate(token);
  assert.equal(g.lines.length, 2);
  assert.equal(g.lines[0].admitted, true, JSON.stringify(g.lines[0]));
  assert.equal(g.lines[0].tier, 'vip');
  assert.equal(g.lines[1].admitted, false, JSON.stringify(g.lines[1]));
  assert.notEqual(g.status, 0);
});

test('back to the account', async () => {
  await page.getByRole('link', { name: 'Back to your account' }).click();
  await page.waitForURL(`${stack.base}/account`);
});

test('XMarket xm-carol has no ticket: the refusal page with Try again', async () => {
  const c = await newContext(chromium.browser, { locale: 'en-US', acceptLanguage: 'en' });
  try {
    await c.page.goto(`${stack.base}/`);
    await c.page.getByRole('link', { name: 'Sign in with XMarket' }).click();
    await idpLogin(c.page, 'xmarket', 'xm-carol');
    await c.page.goto(`${stack.base}/account`);
    await c.page.getByRole('button', { name: 'Get an entry token for DOOR Live 2025' }).click();
    await c.page.waitForURL(`${stack.base}/api/events/live-2025/participation`);
    assert.equal(await c.page.title(), 'No entry token');
    assert.equal(await c.page.locator('#code').textContent(), 'TICKETS_NO_TICKET');
    assert.ok((await c.page.locator('#message').textContent()).length > 10);
    assert.equal(await c.page.locator('#token').count(), 0);
    await screenshot(c.page, 'token', 'refused');
    await c.page.getByRole('button', { name: 'Try again' }).click();
    await c.page.waitForLoadState();
    assert.equal(await c.page.locator('#code').textContent(), 'TICKETS_NO_TICKET');
    await c.page.getByRole('link', { name: 'Back to your account' }).waitFor();
    // The refusal is a 403 page: chromium logs that status, nothing else.
    assert.deepEqual(c.problems.filter((m) => !/status of 403 \(Forbidden\)/.test(m)), []);
  } finally {
    await c.ctx.close();
  }
});

test('in Japanese: the token page and its QR code', async () => {
  const c = await newContext(chromium.browser, { locale: 'ja-JP', acceptLanguage: 'ja-JP,ja;q=0.9' });
  try {
    await c.page.goto(`${stack.base}/`);
    await c.page.getByRole('link', { name: 'XMarketでログイン' }).click();
    await idpLogin(c.page, 'xmarket', 'xm-alice');
    await c.page.goto(`${stack.base}/account`);
    await c.page.getByRole('button', { name: 'DOOR Live 2025の入場トークンを取得' }).click();
    await c.page.waitForURL(`${stack.base}/api/events/live-2025/participation`);
    assert.equal(await c.page.locator('html').getAttribute('lang'), 'ja');
    assert.equal(await c.page.title(), '入場トークン');
    assert.match(await c.page.locator('#expires').textContent(), /あと約[1-5]分/);
    assert.match(await c.page.locator('#use').textContent(), /1回限り有効/);
    const tok = (await c.page.locator('#token').textContent()).trim();
    assert.notEqual(tok, token);
    const png = join(env('DOOR_BROWSER_OUT'), 'token-qr-ja.png');
    await c.page.locator('#qr svg').screenshot({ path: png });
    const out = execFileSync(env('DOOR_ZBARIMG'), ['--raw', '-q', '-Sdisable', '-Sqrcode.enable', '-Sbinary', png],
                             { encoding: 'utf8' });
    assert.equal(out.replace(/\n$/, ''), tok);
    await screenshot(c.page, 'token', 'token-page-ja');
    assert.deepEqual(c.problems, []);
  } finally {
    await c.ctx.close();
  }
});

test('no console error, no CSP violation, no request off loopback', () => {
  assert.deepEqual(problems, []);
});
