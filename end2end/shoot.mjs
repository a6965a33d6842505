// Takes screenshots of the running app for a person to look at:
//   node shoot.mjs [base-url] [out-dir]
import { chromium } from '@playwright/test';

const base = process.argv[2] ?? 'http://127.0.0.1:3000';
const out = process.argv[3] ?? 'screenshots';
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
async function shoot(name, { width, height, scheme }, path) {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme: scheme });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.log(`[${name}] console: ${m.text()}`); });
  await page.goto(`${base}/login`);
  await page.screenshot({ path: `${out}/${name}-login.png` });
  await page.fill('input[name=email]', 'admin@demo.test');
  await page.fill('input[name=password]', 'dialogs-demo');
  await page.click('button[type=submit]');
  await page.waitForURL(/\/dialogs/);
  await page.locator('body[data-hydrated]').waitFor();
  await page.screenshot({ path: `${out}/${name}-inbox.png` });
  if (path) {
    await page.locator('a.dlg-row').nth(1).click();
    await page.locator('.dlg-chat__title').waitFor();
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${out}/${name}-dialog.png` });
  }
  await context.close();
}
await shoot('light', { width: 1280, height: 800, scheme: 'light' }, true);
await shoot('dark', { width: 1280, height: 800, scheme: 'dark' }, true);
await shoot('phone', { width: 375, height: 740, scheme: 'light' }, true);
await browser.close();
