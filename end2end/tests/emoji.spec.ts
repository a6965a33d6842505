import { test, expect, Page } from '@playwright/test';
import { signIn, SHOTS } from './support';

// The emoji picker (E4): search in English and Russian, insertion at the caret, the
// keyboard, and the user's recent emoji kept across a reload; light, dark and phone.

/** Opens the first listed Telegram dialog by its address (live updates may reorder the list). */
async function openTelegramDialog(page: Page) {
  await page.click('a.dlg-section[data-section=in_work]');
  const row = page.locator('a.dlg-row', { has: page.locator('.dlg-channel-icon--telegram') }).first();
  const href = await row.getAttribute('href');
  await page.goto(href ?? '/dialogs');
  await page.locator('body[data-hydrated]').waitFor();
  await expect(page.locator('.dlg-chat__header .dlg-channel-icon--telegram')).toBeVisible();
}

test('an operator finds emoji in English and Russian, inserts them at the caret and sees them in Recent', async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, 'admin@demo.test');
  await openTelegramDialog(page);

  const composer = page.locator('form.dlg-composer');
  const input = composer.locator('textarea[name=text]');
  const toggle = composer.locator('.dlg-emoji__toggle');
  const panel = composer.locator('.dlg-emoji__panel');
  const search = panel.locator('.dlg-emoji__search');
  const stamp = Date.now().toString(36);
  const text = `Thanks for waiting ${stamp}`;

  // The caret after "Thanks".
  await input.fill(text);
  await input.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(6, 6));

  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await toggle.click();
  await expect(panel).toBeVisible();
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  await expect(search).toBeFocused();
  await expect(panel.getByRole('button', { name: 'thumbs up', exact: true })).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/emoji-light.png` });

  // Russian keywords find it whatever the interface language; a click inserts it at the
  // caret, closes the picker and gives the field back its focus with the caret after it.
  await search.fill('спасибо');
  const folded = panel.getByRole('button', { name: 'folded hands', exact: true });
  await expect(folded).toBeVisible();
  await expect(panel.getByRole('button', { name: 'thumbs up', exact: true })).toHaveCount(0);
  await folded.click();
  await expect(panel).toHaveCount(0);
  await expect(input).toHaveValue(`Thanks🙏 for waiting ${stamp}`);
  await expect(input).toBeFocused();
  await page.keyboard.type('!');
  await expect(input).toHaveValue(`Thanks🙏! for waiting ${stamp}`);

  // English, from the keyboard only: Enter on the button opens, Enter in the search takes
  // the first match (and does not send the message).
  await toggle.focus();
  await page.keyboard.press('Enter');
  await expect(search).toBeFocused();
  await page.keyboard.type('thumbs up');
  await expect(panel.locator('.dlg-emoji__item').first()).toHaveAttribute('aria-label', 'thumbs up');
  await page.keyboard.press('Enter');
  await expect(panel).toHaveCount(0);
  await expect(input).toHaveValue(`Thanks🙏!👍 for waiting ${stamp}`);
  await expect(input).toBeFocused();

  // Arrows move through the grid; Escape closes and returns to the button.
  await toggle.click();
  await expect(search).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(panel.locator('.dlg-emoji__item[data-i="0"]')).toBeFocused();
  await page.keyboard.press('ArrowRight');
  await expect(panel.locator('.dlg-emoji__item[data-i="1"]')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(panel).toHaveCount(0);
  await expect(toggle).toBeFocused();

  // A click outside closes it too; nothing was inserted meanwhile.
  await toggle.click();
  await expect(panel).toBeVisible();
  await page.locator('.dlg-chat__messages').click({ position: { x: 8, y: 8 } });
  await expect(panel).toHaveCount(0);
  await expect(input).toHaveValue(`Thanks🙏!👍 for waiting ${stamp}`);

  // Sent as typed.
  await composer.getByRole('button', { name: 'Send' }).click();
  await expect(page.locator('.dlg-msg', { hasText: `Thanks🙏!👍 for waiting ${stamp}` }).last()).toBeVisible();
  await expect(input).toHaveValue('');

  // After a reload the two used emoji lead "Recent", newest first.
  await page.reload();
  await page.locator('body[data-hydrated]').waitFor();
  await toggle.click();
  const recent = panel.locator('.dlg-emoji__group--recent .dlg-emoji__item');
  await expect(recent.nth(0)).toHaveText('👍');
  await expect(recent.nth(1)).toHaveText('🙏');
  await expect(recent.nth(0)).toHaveAttribute('aria-label', 'thumbs up');

  await page.emulateMedia({ colorScheme: 'dark' });
  await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
  await expect(panel).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/emoji-dark.png` });

  // At phone width the picker fits the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(panel).toBeVisible();
  const box = await panel.boundingBox();
  expect(box).not.toBeNull();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(390);
  expect(box!.y).toBeGreaterThanOrEqual(0);
  await page.screenshot({ path: `${SHOTS}/emoji-phone.png` });
  await context.close();
});

test('the new dialog form has the picker for its first message', async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, 'admin@demo.test');
  await page.click('button.dlg-new-dialog');
  const form = page.locator('form.dlg-start');
  const text = form.locator('textarea[name=text]');
  await text.fill('Hello');
  await form.locator('.dlg-emoji__toggle').click();
  const panel = form.locator('.dlg-emoji__panel');
  await panel.locator('.dlg-emoji__search').fill('wave');
  await panel.getByRole('button', { name: 'waving hand', exact: true }).click();
  await expect(text).toHaveValue('Hello👋');
  // Escape in the picker closes the picker, not the form.
  await form.locator('.dlg-emoji__toggle').click();
  await expect(panel).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(panel).toHaveCount(0);
  await expect(form).toBeVisible();
  await context.close();
});
