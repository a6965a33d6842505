// Inbox filters (C5): smart chips and the filter panel narrow the list, live in the URL, survive
// a reload and a switch of section, and a broken link says what is wrong; light, dark, phone.
import { test, expect } from '@playwright/test';
import { signIn, SHOTS } from './support';

test('filters narrow the list, live in the URL and survive a reload', async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, 'admin@demo.test');
  await page.goto('/dialogs?section=all');
  await page.locator('body[data-hydrated]').waitFor();
  const rows = page.locator('a.dlg-row');
  await expect(rows.first()).toBeVisible();

  // Unread: every row left is unread.
  await page.click('a.dlg-fchip[data-filter=unread]');
  await expect(page).toHaveURL(/\/dialogs\?section=all&unread=1$/);
  await expect(page.locator('a.dlg-fchip[data-filter=unread]')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('a.dlg-row:not(.dlg-row--unread)')).toHaveCount(0);
  await expect(rows.first()).toBeVisible();

  // One kind of channel from the panel: every row left is of that kind.
  await page.click('button.dlg-fchip[data-filter=more]');
  const channel = page.locator('.dlg-filter-panel input[data-channel]').first();
  await expect(channel).toBeVisible();
  const kind = await channel.getAttribute('data-channel');
  await channel.check();
  await expect(page).toHaveURL(new RegExp(`channel=${kind}`));
  await expect(page.locator(`a.dlg-row:not(:has(.dlg-channel-icon--${kind}))`)).toHaveCount(0);
  await expect(page.locator('button.dlg-fchip[data-filter=more] .dlg-fchip__count')).toHaveText('1');
  await page.screenshot({ path: `${SHOTS}/filters-light.png` });

  // The section tabs keep the filters.
  await page.click('a.dlg-section[data-section=in_work]');
  await expect(page).toHaveURL(new RegExp(`section=in_work.*channel=${kind}.*unread=1`));
  await page.click('a.dlg-section[data-section=all]');

  // A reload shows the same list.
  const url = page.url();
  await page.reload();
  await page.locator('body[data-hydrated]').waitFor();
  expect(page.url()).toBe(url);
  await expect(page.locator('a.dlg-fchip[data-filter=unread]')).toHaveAttribute('aria-pressed', 'true');
  await expect(rows.first()).toBeVisible();
  await expect(page.locator('a.dlg-row:not(.dlg-row--unread)')).toHaveCount(0);
  await expect(page.locator(`a.dlg-row:not(:has(.dlg-channel-icon--${kind}))`)).toHaveCount(0);

  // Reset brings everything back.
  await page.click('a.dlg-fchip[data-filter=reset]');
  await expect(page).toHaveURL(/\/dialogs\?section=all$/);
  await expect(page.locator('a.dlg-fchip[data-filter=unread]')).toHaveAttribute('aria-pressed', 'false');
  await expect(page.locator('button.dlg-fchip[data-filter=more] .dlg-fchip__count')).toHaveCount(0);
  await expect(page.locator(`a.dlg-row:not(:has(.dlg-channel-icon--${kind}))`).first()).toBeVisible();

  // Dark theme, with the panel open.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
  await page.click('a.dlg-fchip[data-filter=mine]');
  await expect(page).toHaveURL(/assignee=me/);
  await page.click('button.dlg-fchip[data-filter=more]');
  await expect(page.locator('.dlg-filter-panel select[data-filter=assignee]')).toHaveValue('me');
  await page.screenshot({ path: `${SHOTS}/filters-dark.png` });

  // Phone width: the chips wrap inside the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  const bar = await page.locator('.dlg-filters').boundingBox();
  expect(bar).not.toBeNull();
  expect(bar!.x + bar!.width).toBeLessThanOrEqual(390);
  await page.screenshot({ path: `${SHOTS}/filters-phone.png` });
  await context.close();
});

test('a link with a broken filter says what is wrong and shows the inbox', async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, 'admin@demo.test');
  await page.goto('/dialogs?section=all&line=abc');
  await page.locator('body[data-hydrated]').waitFor();
  await expect(page.locator('.dlg-filters__error')).toContainText('“line”');
  await expect(page.locator('a.dlg-row').first()).toBeVisible();
  await context.close();
});
