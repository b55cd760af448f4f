// The demo's story in a real browser (Debian's chromium, playwright-core):
// open the chooser, sign in with d-account through door-idp's own login and
// consent pages, see /account, link XMarket, unlink d-account, sign out, and
// sign in again (XMarket) to the same account.  A screenshot of each page
// goes to DOOR_BROWSER_OUT as login-NN-*.png.  docs/demo.md.
import assert from 'node:assert/strict';

import { ctx, page, problems, stack, story } from './story.mjs';

let accountId;

const { test, shot } = story('login', { locale: 'en-US', acceptLanguage: 'en-US,en;q=0.9' });

const idpOrigin = (provider) =>
  new URL(stack.ready.profiles[provider].authorization_endpoint).origin;

// door-idp's interactive pages: the user picker, then the consent page.
async function idpLogin(provider, user, expectClient = 'DOOR (demo)') {
  const origin = idpOrigin(provider);
  await page.waitForURL((u) => u.origin === origin);
  assert.equal(await page.locator('h1').textContent(), 'Sign in');
  assert.match(await page.locator('main').textContent(), new RegExp(`sign in to ${expectClient.replace(/[()]/g, '\\$&')}`));
  await page.locator(`input[name=user][value="${user}"]`).check();
  await shot(`idp-${provider}-users`);
  await Promise.all([page.waitForURL((u) => u.origin === origin && !u.search.includes('door_idp')),
                     page.getByRole('button', { name: 'Continue' }).click()]);
  assert.equal(await page.locator('h1').textContent(), 'Allow access?');
  assert.match(await page.locator('main').textContent(), new RegExp(`sign you in as ${user}`));
  await shot(`idp-${provider}-consent`);
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL((u) => u.origin === stack.base);
}

async function session() {
  const res = await ctx.request.get(`${stack.base}/api/session`);
  return { status: res.status(), body: await res.json() };
}

async function identities() {
  return page.locator('table tr td:first-child').allTextContents();
}

test('the chooser offers d-account and XMarket', async () => {
  const res = await page.goto(`${stack.base}/`);
  assert.equal(res.status(), 200);
  assert.equal(await page.title(), 'Sign in to DOOR');
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  await page.getByRole('link', { name: 'Sign in with d アカウント' }).waitFor();
  await page.getByRole('link', { name: 'Sign in with XMarket' }).waitFor();
  assert.equal((await session()).status, 401);
  await shot('chooser');
});

test('sign in with d-account through door-idp: picker, consent, /account', async () => {
  await page.getByRole('link', { name: 'Sign in with d アカウント' }).click();
  await idpLogin('daccount', 'docomo-taro');
  if (new URL(page.url()).pathname !== '/account') {
    // The chooser's links carry no return_to: the broker returns to "/",
    // which now offers the way to the account.
    await page.getByRole('link', { name: /go to your account/ }).click();
  }
  await page.waitForURL(`${stack.base}/account`);
  assert.equal(await page.title(), 'Your DOOR account');
  accountId = await page.locator('#account-id').textContent();
  assert.match(accountId, /^[0-9a-f]{32}$/);
  assert.deepEqual(await identities(), ['d アカウント']);
  const s = await session();
  assert.equal(s.status, 200);
  assert.equal(s.body.account_id, accountId);
  assert.equal(s.body.provider, 'daccount');
  const cookies = await ctx.cookies(stack.base);
  const sc = cookies.find((c) => c.name === '__Host-door-session');
  assert.ok(sc, 'session cookie __Host-door-session');
  assert.ok(sc.httpOnly && sc.secure && sc.sameSite === 'Lax');
  await shot('account-daccount');
});

test('link XMarket from /account', async () => {
  await page.getByRole('button', { name: 'Link XMarket' }).click();
  await idpLogin('xmarket', 'xm-alice');
  await page.waitForURL(`${stack.base}/account`);
  assert.equal(await page.locator('#account-id').textContent(), accountId);
  assert.deepEqual((await identities()).sort(), ['XMarket', 'd アカウント'].sort());
  // Both linked: nothing is left to link.
  assert.equal(await page.getByRole('button', { name: /^Link / }).count(), 0);
  await shot('account-linked');
});

test('unlink d-account', async () => {
  const row = page.locator('table tr', { hasText: 'd アカウント' });
  await Promise.all([page.waitForNavigation(), row.getByRole('button', { name: 'Unlink' }).click()]);
  await page.waitForURL(`${stack.base}/account`);
  assert.equal(await page.locator('#account-id').textContent(), accountId);
  assert.deepEqual(await identities(), ['XMarket']);
  await page.getByRole('button', { name: 'Link d アカウント' }).waitFor();
  const s = await session();
  assert.deepEqual(s.body.identities.map((i) => i.provider), ['xmarket']);
  await shot('account-unlinked');
});

test('sign out', async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${stack.base}/logged-out`);
  assert.equal(await page.title(), 'Signed out');
  assert.equal((await session()).status, 401);
  await shot('logged-out');
  // The account page now sends the browser to the chooser.
  await page.goto(`${stack.base}/account`);
  assert.equal(new URL(page.url()).pathname, '/');
  assert.equal(await page.title(), 'Sign in to DOOR');
});

test('sign in again with XMarket: the same account', async () => {
  await page.getByRole('link', { name: 'Sign in with XMarket' }).click();
  const xm = idpOrigin('xmarket');
  await page.waitForURL((u) => u.origin === xm || u.origin === stack.base);
  if (new URL(page.url()).origin === xm) await idpLogin('xmarket', 'xm-alice');
  await page.waitForURL(`${stack.base}/account`);
  assert.equal(await page.locator('#account-id').textContent(), accountId);
  assert.deepEqual(await identities(), ['XMarket']);
  const s = await session();
  assert.equal(s.body.account_id, accountId);
  assert.equal(s.body.provider, 'xmarket');
  await shot('account-again');
});

test('the unlinked d-account identity makes a new account', async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${stack.base}/logged-out`);
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Sign in with d アカウント' }).click();
  await idpLogin('daccount', 'docomo-taro');
  await page.goto(`${stack.base}/account`);
  const other = await page.locator('#account-id').textContent();
  assert.match(other, /^[0-9a-f]{32}$/);
  assert.notEqual(other, accountId);
  assert.deepEqual(await identities(), ['d アカウント']);
  await shot('account-new');
});

test('no console error, no CSP violation, no request off loopback', () => {
  assert.deepEqual(problems, []);
});
