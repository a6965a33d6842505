import { test, expect, BrowserContext, Page } from '@playwright/test';
import { signIn, SHOTS } from './support';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

/// Signs in as the admin and opens the first dialog in work.
async function openDialogInWork(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await signIn(page, 'admin@demo.test');
  await page.click('a.dlg-section[data-section=in_work]');
  await page.locator('a.dlg-row').first().click();
  await page.waitForURL(/\/dialogs\/\d+/);
  return page;
}

test('an operator attaches a photo and a document and sends them with a caption', async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 900 } });
  const page = await openDialogInWork(context);
  const composer = page.locator('form.dlg-composer');
  await composer.locator('input[type=file]').setInputFiles([
    { name: 'photo.png', mimeType: 'image/png', buffer: PNG },
    { name: 'Прайс.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 price list') },
  ]);
  await expect(composer.locator('.dlg-chip')).toHaveCount(2);
  await expect(composer.locator('.dlg-chip--busy')).toHaveCount(0);
  await expect(composer.locator('.dlg-chip').nth(1)).toContainText('Прайс.pdf');
  await composer.locator('textarea[name=text]').fill('Here are the photo and the price list');
  await page.screenshot({ path: `${SHOTS}/files-composer-light.png` });
  await composer.getByRole('button', { name: 'Send' }).click();
  const sent = page.locator('.dlg-msg', { hasText: 'Here are the photo and the price list' }).last();
  await expect(sent.locator('.dlg-msg__files a')).toHaveCount(2);
  await expect(composer.locator('.dlg-chip')).toHaveCount(0);
  // The file opens for the operator.
  const href = await sent.locator('.dlg-msg__files a').nth(1).getAttribute('href');
  const file = await page.request.get(href ?? '');
  expect(file.status()).toBe(200);
  expect((await file.body()).toString()).toBe('%PDF-1.4 price list');

  // A file over the limit is refused at once, with the reason on its chip.
  await page.setViewportSize({ width: 390, height: 844 });
  const huge = path.join(os.tmpdir(), `dialogs-huge-${Date.now()}.bin`);
  fs.writeFileSync(huge, Buffer.alloc(51 * 1024 * 1024));
  await composer.locator('input[type=file]').setInputFiles(huge);
  fs.unlinkSync(huge);
  await expect(composer.locator('.dlg-chip--failed')).toContainText('50 MB');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
  await page.screenshot({ path: `${SHOTS}/files-phone-dark.png` });
  await context.close();
});

test('a file on a slow connection shows how much of it has gone up', async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 900 } });
  const page = await openDialogInWork(context);
  // Uploads at 512 KB/s: 2 MB take about four seconds.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 512 * 1024,
  });
  const composer = page.locator('form.dlg-composer');
  await composer.locator('input[type=file]').setInputFiles({
    name: 'catalogue.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(2 * 1024 * 1024, 7),
  });
  const bar = composer.locator('.dlg-chip--busy [role=progressbar]');
  // Part of the way, not nothing and not all.
  await expect(bar).toHaveAttribute('aria-valuenow', /^[1-9][0-9]?$/, { timeout: 10_000 });
  await expect(bar).toContainText(/Uploading… [1-9][0-9]? %/);
  await page.screenshot({ path: `${SHOTS}/files-progress-light.png` });
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
  });
  await expect(composer.locator('.dlg-chip--busy')).toHaveCount(0, { timeout: 30_000 });
  await expect(composer.locator('.dlg-chip')).toContainText('2.0 MB');
  await context.close();
});
