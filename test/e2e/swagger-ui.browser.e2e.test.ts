/**
 * Swagger UI in a real browser (Debian's chromium, driven by playwright-core): the page runs under
 * the service's Content-Security-Policy, the Authorize button takes an API key, and "Try it out" →
 * Execute works with it for POST and GET /api/warranties, with no GET filter pre-filled. Skipped, saying why, only when /usr/bin/chromium
 * is missing (CI installs it: .ci/run).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { createDatabase, serviceEnv, startApp, type TestApp } from '../support/test-env.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install -y chromium); the Swagger UI browser test is skipped`;

/** Opens an operation, presses "Try it out" and returns its block. */
async function tryItOut(page: Page, operationId: string): Promise<Locator> {
  const block = page.locator(`[id$="-${operationId}"]`).first();
  await block.locator('.opblock-summary').first().click();
  await block.locator('button.try-out__btn').click();
  return block;
}

/** Presses Execute and returns the live response's status and body text as Swagger UI shows them. */
async function execute(block: Locator): Promise<{ status: string; body: string; url: string }> {
  await block.locator('button.execute').click();
  const live = block.locator('.live-responses-table tbody tr.response');
  await live.first().waitFor({ timeout: 15_000 });
  return {
    status: (await live.locator('td.response-col_status').first().innerText()).trim(),
    body: await live.locator('td.response-col_description pre').first().innerText(),
    url: (await block.locator('.request-url pre').first().innerText()).trim(),
  };
}

describe('Swagger UI at /docs in headless Chromium', { skip }, () => {
  let app: TestApp;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    app = await startApp(serviceEnv(await createDatabase()));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await page.goto(`${app.url}/docs`);
    await page.locator('.opblock').first().waitFor({ timeout: 20_000 });
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  it('renders every operation, with no script error and no Content-Security-Policy violation', async () => {
    assert.ok((await page.locator('.opblock').count()) >= 8);
    assert.deepEqual(problems, []);
  });

  it('Authorize: the button takes an API key (Bearer), which every "Try it out" then sends', async () => {
    await page.locator('.auth-wrapper button.authorize').click();
    const modal = page.locator('.modal-ux');
    await modal.locator('input').first().fill(app.adminKey);
    await modal.locator('button.authorize').click();
    await modal.locator('button.btn-done').click();
    await modal.waitFor({ state: 'detached', timeout: 5_000 });
    assert.match((await page.locator('.auth-wrapper button.authorize').getAttribute('class')) ?? '', /locked/);
  });

  it('POST /api/warranties: "Try it out" with the seed example → Execute shows 201 and the two plans', async () => {
    const block = await tryItOut(page, 'submitWarranty');
    const shown = await execute(block);
    assert.equal(shown.status, '201', shown.body);
    assert.match(await block.locator('.curl-command').first().innerText(), /Authorization: Bearer wsk_admin_/);
    const body = JSON.parse(shown.body);
    assert.deepEqual(
      body.warranties.map((w: any) => [w.warranty_duration_months, w.warranty_price]),
      [
        [12, 20],
        [24, 27],
      ],
    );
  });

  it('GET /api/warranties: filters start empty, Execute lists everything (no sku/item_type/store_uuid sent)', async () => {
    const block = await tryItOut(page, 'listWarranties');
    for (const name of ['sku', 'item_type', 'store_uuid', 'cursor']) {
      assert.equal(await block.locator(`tr[data-param-name="${name}"] input`).inputValue(), '', `${name} is pre-filled`);
    }
    const shown = await execute(block);
    assert.equal(shown.status, '200', shown.body);
    assert.doesNotMatch(shown.url, /[?&](sku|item_type|store_uuid|cursor)=/);
    const body = JSON.parse(shown.body);
    assert.equal(body.warranties.length, 2);
    assert.equal(body.next_cursor, null);
    assert.deepEqual(problems, []);
  });
});
