import { test, expect, Page } from '@playwright/test';
import { signIn, SHOTS } from './support';

/** Opens the first listed dialog of a messenger by its address: live updates may reorder
 * the list between finding a row and clicking it. */
async function openFirst(page: Page, kind: string) {
  const row = page.locator('a.dlg-row', { has: page.locator(`.dlg-channel-icon--${kind}`) }).first();
  const href = await row.getAttribute('href');
  await page.goto(href ?? '/dialogs');
  await page.locator('body[data-hydrated]').waitFor();
  await expect(page.locator(`.dlg-chat__header .dlg-channel-icon--${kind}`)).toBeVisible();
}

test('an operator sends a question with buttons to a Telegram client', async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, 'admin@demo.test');
  await page.click('a.dlg-section[data-section=in_work]');
  await openFirst(page, 'telegram');
  const composer = page.locator('form.dlg-composer');
  const toggle = composer.locator('.dlg-composer__buttons-toggle');
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  const inputs = composer.locator('.dlg-composer__button-input');
  await expect(inputs).toHaveCount(1);
  await inputs.nth(0).fill('Morning');
  await composer.locator('.dlg-composer__button-add').click();
  await inputs.nth(1).fill('Evening');
  // Typing in a button keeps its focus (the row is not rebuilt on each key).
  await inputs.nth(1).press('End');
  await page.keyboard.type('!');
  await expect(inputs.nth(1)).toHaveValue('Evening!');
  await expect(composer.locator('.dlg-composer__button-hint')).toContainText('10');
  await composer.locator('textarea[name=text]').fill('When shall the courier come?');
  await page.screenshot({ path: `${SHOTS}/buttons-composer-light.png` });
  await composer.getByRole('button', { name: 'Send' }).click();
  const sent = page.locator('.dlg-msg', { hasText: 'When shall the courier come?' }).last();
  await expect(sent.locator('.dlg-msg__button')).toHaveText(['Morning', 'Evening!']);
  await sent.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/buttons-sent-light.png` });
  // Sent: the editor closes.
  await expect(composer.locator('.dlg-composer__button-input')).toHaveCount(0);

  // A note has no buttons: the toggle goes away in note mode.
  await composer.getByRole('button', { name: 'Note' }).click();
  await expect(toggle).toHaveCount(0);

  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
  await composer.getByRole('button', { name: 'Message' }).click();
  await toggle.click();
  await composer.locator('.dlg-composer__button-input').first().fill('Yes');
  await page.screenshot({ path: `${SHOTS}/buttons-phone-dark.png` });
  await context.close();
});

test('an email dialog offers no buttons', async ({ page }) => {
  await signIn(page, 'admin@demo.test');
  await page.click('a.dlg-section[data-section=in_work]');
  await openFirst(page, 'email');
  await expect(page.locator('form.dlg-composer textarea[name=text]')).toBeVisible();
  await expect(page.locator('.dlg-composer__buttons-toggle')).toHaveCount(0);
});
