// The broker's pages in Japanese: a browser whose Accept-Language is
// Japanese gets the chooser, the account page and the signed-out page in
// Japanese (door-idp's own test pages stay English).  Screenshots:
// DOOR_BROWSER_OUT/ja-NN-*.png.  docs/demo.md.  Set-up and the story's
// fail-fast steps: story.mjs.
import assert from 'node:assert/strict';

import { page, problems, stack, story } from './story.mjs';

const { test, shot } = story('ja', {
  locale: 'ja-JP', acceptLanguage: 'ja-JP,ja;q=0.9,en;q=0.5',
});

test('the chooser is in Japanese', async () => {
  const res = await page.goto(`${stack.base}/`);
  assert.equal(res.status(), 200);
  assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
  assert.equal(await page.title(), 'DOORにログイン');
  assert.equal(await page.locator('h1').textContent(), 'DOORにログイン');
  assert.equal(await page.locator('p.muted').first().textContent(),
               'ログイン方法を選んでください。DOORがパスワードを知ることはありません。');
  assert.deepEqual(await page.locator('a.btn').allTextContents(),
                   ['d アカウントでログイン', 'XMarketでログイン']);
  await shot('chooser');
});

test('sign in with d-account: the account page in Japanese', async () => {
  await page.getByRole('link', { name: 'd アカウントでログイン' }).click();
  const idp = new URL(stack.ready.profiles.daccount.authorization_endpoint).origin;
  await page.waitForURL((u) => u.origin === idp);
  await page.locator('input[name=user][value="docomo-hanako"]').check();
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Continue' }).click()]);
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL((u) => u.origin === stack.base);
  await page.goto(`${stack.base}/account`);
  assert.equal(await page.title(), 'DOORアカウント');
  assert.match(await page.locator('main').textContent(), /アカウントID/);
  assert.deepEqual(await page.locator('table th').allTextContents(),
                   ['サービス', '連携日時', '最終ログイン', '']);
  // Her only sign-in method: no unlink button, a note says why.
  assert.equal(await page.getByRole('button', { name: '連携を解除' }).count(), 0);
  assert.equal(await page.locator('#only-method').textContent(),
               'ログイン方法が1つだけのため、連携を解除できません。先に別のログイン方法を追加してください。');
  await page.getByRole('button', { name: 'XMarketを連携' }).waitFor();
  await shot('account');
});

test('sign out: the signed-out page in Japanese', async () => {
  await page.getByRole('button', { name: 'ログアウト' }).click();
  await page.waitForURL(`${stack.base}/logged-out`);
  assert.equal(await page.title(), 'ログアウトしました');
  assert.match(await page.locator('main').textContent(), /DOORからログアウトしました。/);
  await shot('logged-out');
});

test('no console error, no CSP violation, no request off loopback', () => {
  assert.deepEqual(problems, []);
});
