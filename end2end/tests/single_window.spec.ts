import { test, expect, Page, Browser } from '@playwright/test';
import { signIn, SHOTS, FakeClient, DATABASE_URL } from './support';
import { execFileSync } from 'child_process';

// Single-window mode (D8): Alex closes a client's dialog, the client writes again, and in
// single window Alex reads both dialogs as one history; he selects a message of each and
// passes them to Ivan, who finds a read-only dialog in New and reads it.

async function context(browser: Browser) {
  return browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 800 } });
}

async function openRow(page: Page, name: string, status = 'new') {
  await page.goto('/dialogs?section=new');
  await page.locator('body[data-hydrated]').waitFor();
  const row = page.locator(`a.dlg-row:has(.dlg-status--${status})`, { hasText: name }).first();
  await expect(row).toBeVisible({ timeout: 10_000 });
  await row.click();
  await expect(page.locator('.dlg-chat__title')).toBeVisible();
}

function singleWindow(on: boolean) {
  execFileSync('psql', ['-q', '-d', DATABASE_URL, '-c',
    `UPDATE users SET single_window = ${on} WHERE email = 'admin@demo.test'`]);
}

test('one history of a client across dialogs, and selected messages passed for review', async ({ browser, baseURL }) => {
  test.skip(!DATABASE_URL, 'DIALOGS_E2E_DATABASE_URL is not set');
  singleWindow(false);
  const alexContext = await context(browser);
  const ivanContext = await context(browser);
  const alex = await alexContext.newPage();
  const ivan = await ivanContext.newPage();
  await signIn(alex, 'admin@demo.test');
  await signIn(ivan, 'ivan@demo.test');
  const chat = 300_000 + Math.floor(Math.random() * 90_000);
  const name = `History Client ${chat}`;
  const client = FakeClient.start(baseURL!, chat, name);
  try {
    await client.waitFor((l) => l.startsWith('Playing'));
    client.write('First question: where is order 5?');
    await client.waitFor((l) => l === '→ sent');

    // Alex accepts and closes the first dialog.
    await openRow(alex, name);
    await alex.locator('.dlg-actions button[data-action=accept]').click();
    await expect(alex.locator('.dlg-chat__header .dlg-status--in_work')).toBeVisible();
    await alex.keyboard.press('Alt+KeyC');
    const close = alex.locator('form.dlg-modal__panel');
    if (await close.isVisible().catch(() => false)) {
      await close.locator('select[name=reason]').selectOption({ index: 1 });
      await close.locator('button[type=submit]').click();
    }
    await expect(alex.locator('.dlg-chat__header .dlg-status--closed')).toBeVisible();

    // The client writes again: a second dialog.
    client.write('Second question: can you deliver on Friday?');
    await client.waitFor(() => client.lines.filter((x) => x === '→ sent').length >= 2);
    await openRow(alex, name);
    const messages = alex.locator('.dlg-chat__messages');
    await expect(messages.locator('.dlg-msg', { hasText: 'Second question' })).toBeVisible();
    // Structured: the first dialog waits folded at the top (D7).
    await expect(messages.locator('.dlg-msg', { hasText: 'First question' })).toHaveCount(0);
    await expect(messages.locator('.dlg-history')).toHaveCount(0);

    // Single window: both dialogs as one history, each run under its dialog's line.
    const toggle = alex.locator('.dlg-actions button[data-action=single_window]');
    await expect(toggle).toHaveAttribute('aria-pressed', 'false');
    await toggle.click();
    await expect(alex.locator('.dlg-actions button[data-action=single_window]')).toHaveAttribute('aria-pressed', 'true');
    await expect(messages.locator('.dlg-history')).toHaveCount(2);
    await expect(messages.locator('.dlg-history').first()).toContainText('Closed');
    await expect(messages.locator('.dlg-history--this')).toContainText('This dialog');
    const first = messages.locator('.dlg-msg', { hasText: 'First question' });
    const second = messages.locator('.dlg-msg', { hasText: 'Second question' });
    await expect(first).toBeVisible();
    await expect(second).toBeVisible();
    await expect(messages.locator('.dlg-others')).toHaveCount(0);
    await alex.screenshot({ path: `${SHOTS}/single-window-light.png` });

    // Select from the message menu, then tick the second by clicking its bubble.
    await first.click({ button: 'right' });
    const menu = alex.locator('.dlg-menu');
    await expect(menu).toBeVisible();
    // Another dialog's message is answered from there.
    await expect(menu.getByRole('menuitem', { name: 'Reply' })).toBeDisabled();
    await menu.getByRole('menuitem', { name: 'Select' }).click();
    const bar = alex.locator('.dlg-selection');
    await expect(bar).toContainText('Selected: 1');
    await expect(first).toHaveClass(/dlg-msg--selected/);
    await second.locator('.dlg-msg__body').click();
    await expect(bar).toContainText('Selected: 2');
    // Unticking and ticking again through the box.
    await second.locator('input.dlg-msg__select').uncheck();
    await expect(bar).toContainText('Selected: 1');
    await second.locator('input.dlg-msg__select').check();
    await expect(bar).toContainText('Selected: 2');
    await alex.screenshot({ path: `${SHOTS}/single-window-selecting-light.png` });
    await alex.emulateMedia({ colorScheme: 'dark' });
    await alex.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
    await alex.screenshot({ path: `${SHOTS}/single-window-selecting-dark.png` });
    await alex.setViewportSize({ width: 390, height: 844 });
    await alex.screenshot({ path: `${SHOTS}/single-window-selecting-phone.png` });
    await alex.setViewportSize({ width: 1280, height: 800 });
    await alex.evaluate(() => document.documentElement.setAttribute('data-theme', 'light'));
    await alex.emulateMedia({ colorScheme: 'light' });

    // Pass them to Ivan.
    await bar.locator('button[data-action=pass_selected]').click();
    const form = alex.locator('form.dlg-modal__panel');
    await expect(form.locator('#dlg-action-title')).toHaveText('Pass 2 selected messages for review');
    await form.locator('select[name=to]').selectOption({ label: 'Ivan Sokolov' });
    await form.locator('button[type=submit]').click();
    await expect(form).toHaveCount(0);
    await expect(bar).toHaveCount(0);
    await expect(messages.locator('.dlg-msg--system', { hasText: 'Alex Morgan passed the dialog to Ivan Sokolov for review' })).toBeVisible();

    // Ivan finds a read-only dialog in New with exactly those two messages; Read closes it.
    await openRow(ivan, name, 'for_review');
    await expect(ivan.locator('.dlg-chat__header .dlg-status--for_review')).toBeVisible();
    const review = ivan.locator('.dlg-chat__messages');
    await expect(review.locator('.dlg-msg--in')).toHaveCount(2);
    await expect(review.locator('.dlg-msg--in').first()).toContainText('First question');
    await expect(review.locator('.dlg-msg--in').last()).toContainText('Second question');
    await ivan.screenshot({ path: `${SHOTS}/single-window-review-light.png` });
    // "Read" ends it and takes him back to the list, where it is gone without a reload.
    await ivan.locator('.dlg-actions button[data-action=read]').click();
    await expect(ivan).toHaveURL(/\/dialogs$/);
    await expect(ivan.getByRole('heading', { name: 'Pick a dialog' })).toBeVisible();
    await expect(ivan.locator('a.dlg-row:has(.dlg-status--for_review)', { hasText: name })).toHaveCount(0);

    // Back to separate dialogs.
    await alex.locator('.dlg-actions button[data-action=single_window]').click();
    await expect(alex.locator('.dlg-actions button[data-action=single_window]')).toHaveAttribute('aria-pressed', 'false');
    await expect(messages.locator('.dlg-history')).toHaveCount(0);
    await expect(messages.locator('.dlg-msg', { hasText: 'First question' })).toHaveCount(0);
  } finally {
    singleWindow(false);
    await client.stop();
    await alexContext.close();
    await ivanContext.close();
  }
});
