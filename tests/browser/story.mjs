// One browser story (login.mjs, token.mjs, ja.mjs): the stack (lib.mjs startStack:
// door-idp and door-broker) and one chromium page, set up before the first
// step and stopped after the last; its steps are one story: after a failed
// step the next ones fail at once (rather than each waiting for pages that
// will not come), and the failure says where the browser was and what its
// console reported, with a FAILED screenshot.
//
//   import { page, stack, story } from './story.mjs';
//   const { test, shot } = story('login', { locale: 'en-US', acceptLanguage: 'en' });
import assert from 'node:assert/strict';
import { after, before, test as nodeTest } from 'node:test';

import { launchChromium, newContext, screenshot, startStack } from './lib.mjs';

// Set by the `before` hook story() registers, read through these (live)
// bindings by the test file.  One story a test file: each file runs in a
// process of its own (tests/browser/meson.build).
export let stack;
export let chromium;
export let page;
export let ctx;
export let problems;

// Registers the story's hooks; returns its step function `test(name, fn)`
// (node:test's, failing at once after an earlier step failed) and
// `shot(name)`, a screenshot named PREFIX-NN-NAME.png (lib.mjs screenshot).
export function story(prefix, { locale, acceptLanguage }) {
  const shot = (name) => screenshot(page, prefix, name);
  let broken = null;
  function test(name, fn) {
    nodeTest(name, async (t) => {
      assert.equal(broken, null, `an earlier step failed: ${broken}`);
      try {
        await fn(t);
      } catch (e) {
        broken = name;
        // Where the browser was, for the log and the test output.
        const where = page ? `${page.url()}: ${(await page.locator('main').textContent().catch(() => '')).slice(0, 400)}` : '';
        if (page) await shot('FAILED').catch(() => {});
        e.message += `\nbrowser at ${where}\nconsole: ${JSON.stringify(problems)}`;
        throw e;
      }
    });
  }

  before(async () => {
    stack = await startStack();
    chromium = await launchChromium();
    ({ ctx, page, problems } = await newContext(chromium.browser, { locale, acceptLanguage }));
  });

  after(async () => {
    await chromium?.close();
    await stack?.stop();
  });

  return { test, shot };
}
