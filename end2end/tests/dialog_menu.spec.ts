import { test, expect, Page, Locator } from '@playwright/test';
import { signIn, SHOTS, FakeClient, DATABASE_URL } from './support';

// The dialog menu of the list (C6): a right-click on a row pins it to Favorites, the "⋯"
// button marks it read and unread (by mouse and keyboard), and blocking the client keeps
// their next message out of the list; light, dark and phone.

function rowItem(page: Page, name: string): Locator {
  return page.locator('li.dlg-ctx-row', { has: page.locator('a.dlg-row', { hasText: name }) }).first();
}

function menu(page: Page): Locator {
  return page.locator('.dlg-ctx[role=menu]');
}

/** Opens the menu with the row's "⋯" button and waits for its items that need the server. */
async function openWithButton(page: Page, name: string) {
  await rowItem(page, name).locator('.dlg-ctx-trigger').click();
  await expect(menu(page)).toBeVisible();
  await expect(menu(page).locator('[data-act=system]')).toBeVisible();
}

test('right-click pins to Favorites, the ⋯ button marks unread, and a blocked client stays out', async ({ browser, baseURL }) => {
  test.skip(!DATABASE_URL, 'DIALOGS_E2E_DATABASE_URL is not set');
  const context = await browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, 'admin@demo.test');
  await page.goto('/dialogs?section=all');
  await page.locator('body[data-hydrated]').waitFor();

  const chat = 500_000 + Math.floor(Math.random() * 90_000);
  const name = `Menu Client ${chat}`;
  const client = FakeClient.start(baseURL!, chat, name);
  try {
    await client.waitFor((l) => l.startsWith('Playing'));
    client.write('Hello, is the shop open on Sunday?');
    await client.waitFor((l) => l === '→ sent');
    const row = page.locator('a.dlg-row', { hasText: name }).first();
    await expect(row).toBeVisible({ timeout: 10_000 });

    // Right-click: the menu opens at the pointer, inside the viewport, first item focused.
    await row.click({ button: 'right' });
    const m = menu(page);
    await expect(m).toBeVisible();
    await expect(m.getByRole('menuitem')).not.toHaveCount(0);
    const open = m.locator('a[role=menuitem][target=_blank]');
    await expect(open).toHaveAttribute('href', /^\/dialogs\/\d+$/);
    await expect(open).toBeFocused();
    await expect(m.locator('[data-act=block]')).toBeVisible();
    const box = await m.boundingBox();
    expect(box).not.toBeNull();
    expect(box!.x + box!.width).toBeLessThanOrEqual(1280);
    expect(box!.y + box!.height).toBeLessThanOrEqual(800);
    await page.screenshot({ path: `${SHOTS}/dialog-menu-light.png` });

    // Pin: a Favorites group with its heading appears at the top, holding the dialog once.
    await m.locator('[data-act=pin]').click();
    await expect(m).toHaveCount(0);
    const favorites = page.locator('.dlg-ctx-heading[data-group=favorites]');
    await expect(favorites).toHaveText('Favorites');
    await expect(page.locator('a.dlg-row').first()).toContainText(name);
    await expect(page.locator('a.dlg-row', { hasText: name })).toHaveCount(1);

    // Escape and a click outside close the menu; the focus goes back to the button.
    const trigger = rowItem(page, name).locator('.dlg-ctx-trigger');
    await openWithButton(page, name);
    await page.keyboard.press('Escape');
    await expect(menu(page)).toHaveCount(0);
    await expect(trigger).toBeFocused();
    await openWithButton(page, name);
    await page.mouse.click(900, 700);
    await expect(menu(page)).toHaveCount(0);

    // The ⋯ button by keyboard: Enter opens, arrows move, Enter picks "Mark as read".
    await trigger.focus();
    await page.keyboard.press('Enter');
    await expect(menu(page)).toBeVisible();
    await expect(trigger).toHaveAttribute('aria-expanded', 'true');
    await page.keyboard.press('ArrowDown');
    const readItem = menu(page).locator('[data-act=read]');
    await expect(readItem).toBeFocused();
    await expect(readItem).toHaveText('Mark as read');
    await page.keyboard.press('Enter');
    await expect(menu(page)).toHaveCount(0);
    await expect(page.locator('a.dlg-row', { hasText: name })).not.toHaveClass(/dlg-row--unread/);

    // …and "Mark as unread" makes the row bold again.
    await openWithButton(page, name);
    await expect(menu(page).locator('[data-act=read]')).toHaveText('Mark as unread');
    await menu(page).locator('[data-act=read]').click();
    await expect(page.locator('a.dlg-row', { hasText: name })).toHaveClass(/dlg-row--unread/);

    // Dark theme.
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
    await openWithButton(page, name);
    await page.screenshot({ path: `${SHOTS}/dialog-menu-dark.png` });
    await page.keyboard.press('Escape');

    // Phone width: a sheet at the bottom, inside the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'light'));
    await page.emulateMedia({ colorScheme: 'light' });
    await openWithButton(page, name);
    const sheet = await menu(page).boundingBox();
    expect(sheet).not.toBeNull();
    expect(sheet!.x).toBeGreaterThanOrEqual(0);
    expect(sheet!.x + sheet!.width).toBeLessThanOrEqual(390);
    expect(sheet!.y + sheet!.height).toBeLessThanOrEqual(844);
    await page.screenshot({ path: `${SHOTS}/dialog-menu-phone.png` });
    await page.keyboard.press('Escape');
    await page.setViewportSize({ width: 1280, height: 800 });

    // Block, with a confirm step: the dialog closes and leaves the list of open dialogs.
    await openWithButton(page, name);
    await menu(page).locator('[data-act=block]').click();
    await expect(menu(page).locator('.dlg-ctx__confirm')).toContainText(name);
    await expect(menu(page).locator('[data-act=block-confirm]')).toBeFocused();
    await menu(page).locator('[data-act=block-confirm]').click();
    await expect(menu(page)).toHaveCount(0);
    await expect(page.locator('a.dlg-row', { hasText: name })).toHaveCount(0, { timeout: 10_000 });

    // The client writes again: kept, but no new dialog shows up in New.
    client.write('Hello? Anyone?');
    await client.waitFor((l) => l === '→ sent' && client.lines.filter((x) => x === '→ sent').length >= 2);
    await page.goto('/dialogs?section=new');
    await page.locator('body[data-hydrated]').waitFor();
    await page.waitForTimeout(1_000);
    await expect(page.locator('a.dlg-row', { hasText: name })).toHaveCount(0);

    // With closed dialogs shown it is there, still pinned; unblock and unpin leave no trace.
    await page.goto('/dialogs?section=all&closed=1');
    await page.locator('body[data-hydrated]').waitFor();
    await expect(page.locator('a.dlg-row', { hasText: name }).first()).toBeVisible();
    await expect(page.locator('a.dlg-row', { hasText: name }).first()).toContainText('Hello? Anyone?');
    await openWithButton(page, name);
    await expect(menu(page).locator('[data-act=block]')).toHaveText('Unblock client');
    await menu(page).locator('[data-act=block]').click();
    await expect(menu(page)).toHaveCount(0);
    await openWithButton(page, name);
    await expect(menu(page).locator('[data-act=block]')).toHaveText('Block client');
    await menu(page).locator('[data-act=pin]').click();
    await expect(menu(page)).toHaveCount(0);
    // The demo's own pinned dialogs may keep the Favorites group; this one leaves it once
    // the server has it.
    await expect(async () => {
      await openWithButton(page, name);
      const label = await menu(page).locator('[data-act=pin]').innerText();
      await page.keyboard.press('Escape');
      expect(label).toBe('Pin to Favorites');
    }).toPass({ timeout: 10_000 });
  } finally {
    await client.stop();
    await context.close();
  }
});
