// Search (C4) and folders (C5): a word finds messages with the match marked, a result opens
// its dialog at the message; a filter saved as a folder keeps its count and can be renamed
// and deleted; light, dark, phone.
import { test, expect } from '@playwright/test';
import { signIn, SHOTS } from './support';

test('a search finds messages, marks the words and opens the dialog at the message', async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, 'admin@demo.test');
  const box = page.locator('input.dlg-search__input');
  await box.fill('заказы');
  const hits = page.locator('.dlg-search__results a.dlg-hit[data-hit-message]');
  await expect(hits.first()).toBeVisible();
  // Word forms: "заказы" finds "заказ", "заказе"; each hit shows its word marked.
  const marks = await hits.first().locator('mark').allInnerTexts();
  expect(marks.length).toBeGreaterThan(0);
  for (const m of marks) expect(m.toLowerCase().startsWith('заказ')).toBe(true);
  // The list is hidden while searching.
  await expect(page.locator('.dlg-list__main')).toBeHidden();
  await page.screenshot({ path: `${SHOTS}/search-light.png` });

  const hit = hits.nth(Math.min(3, (await hits.count()) - 1));
  const message = await hit.getAttribute('data-hit-message');
  const dialog = await hit.getAttribute('data-dialog-id');
  await hit.click();
  await expect(page).toHaveURL(new RegExp(`/dialogs/${dialog}\\?.*at=${message}`));
  const found = page.locator(`.dlg-chat__messages [data-message-id="${message}"]`);
  await expect(found).toBeVisible();
  await expect(found).toBeInViewport();
  await expect(found).toHaveClass(/dlg-msg--found/);

  // Special characters are plain text.
  await box.fill('100% \' " & | ! :*');
  await expect(page.locator('.dlg-search__results')).toBeVisible();
  await expect(page.locator('.dlg-search__results [role=alert]')).toHaveCount(0);

  // Dark, and a client found by name.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
  await box.fill('Мария');
  await expect(page.locator('.dlg-search__results a.dlg-hit').first()).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/search-dark.png` });

  // Escape brings the list back.
  await box.press('Escape');
  await expect(page.locator('.dlg-list__main')).toBeVisible();
  await expect(page.locator('a.dlg-row').first()).toBeVisible();
  await context.close();
});

test('a filter saved as a folder keeps its count and can be renamed, moved and deleted', async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, 'anna@demo.test');
  await page.goto('/dialogs?section=all');
  await page.locator('body[data-hydrated]').waitFor();
  await page.click('a.dlg-fchip[data-filter=unread]');
  await expect(page).toHaveURL(/unread=1/);
  await page.click('button[data-folder-action=save]');
  await page.fill('input[name=folder-name]', 'Unread everywhere');
  await page.click('.dlg-folders__form button[type=submit]');
  const folder = page.locator('a.dlg-folder', { hasText: 'Unread everywhere' });
  await expect(folder).toBeVisible();
  await expect(folder).toHaveAttribute('aria-current', 'page');
  const count = Number((await folder.locator('.dlg-badge').innerText()).replace('+', ''));
  expect(count).toBeGreaterThan(0);

  // A second folder; the first is moved after it.
  await page.click('a.dlg-fchip[data-filter=reset]');
  await page.click('a.dlg-fchip[data-filter=mine]');
  await page.click('button[data-folder-action=save]');
  await page.fill('input[name=folder-name]', 'Mine');
  await page.click('.dlg-folders__form button[type=submit]');
  await expect(page.locator('a.dlg-folder')).toHaveText([/Unread everywhere/, /Mine/]);
  await folder.click();
  await expect(page).toHaveURL(/section=all&unread=1/);
  await page.click('button[data-folder-action=right]');
  await expect(page.locator('a.dlg-folder')).toHaveText([/Mine/, /Unread everywhere/]);

  // Rename it, then delete it with a second click.
  await page.click('button[data-folder-action=rename]');
  await page.fill('input[name=folder-name]', 'Unread');
  await page.click('.dlg-folders__form button[type=submit]');
  await expect(page.locator('a.dlg-folder', { hasText: /^Unread\s*\d/ })).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/folders-light.png` });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${SHOTS}/folders-phone.png` });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.click('button[data-folder-action=delete]');
  await page.click('button[data-folder-action=confirm-delete]');
  await expect(page.locator('a.dlg-folder')).toHaveText([/Mine/]);
  await context.close();
});
