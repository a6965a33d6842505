import { Page } from '@playwright/test';

/** The demo account's password (every demo user has it). */
export const PASSWORD = 'dialogs-demo';
/** Where the tests leave their screenshots. */
export const SHOTS = 'screenshots';

/** Signs in through the login page and waits for the hydrated inbox. */
export async function signIn(page: Page, email: string, base = '') {
  await page.goto(`${base}/login`);
  await page.locator('body[data-hydrated]').waitFor();
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(/\/dialogs/);
  await page.locator('body[data-hydrated]').waitFor();
}
