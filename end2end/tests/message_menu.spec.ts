import { test, expect, Page, Browser } from '@playwright/test';
import { signIn, SHOTS, FakeClient, DATABASE_URL } from './support';

// The composer's formatting and the message menu as an operator uses them (E2, E8, E9):
// a Telegram client sends markup meant to run; it shows as text. Alex formats a reply with
// the toolbar and a shortcut, answers a message quoted, stars it and finds it in the
// Important tab, forwards it, and deletes his own message — gone for the client too.

async function context(browser: Browser) {
  return browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 800 } });
}

/** Fails the test if any script of a message ever runs. */
async function guard(page: Page) {
  page.on('dialog', (d) => {
    throw new Error(`a message ran script: ${d.message()}`);
  });
}

const XSS = [
  '<img src=x onerror="window.__xss=1">',
  '<script>window.__xss=2</script>',
  '**<svg onload="window.__xss=3">**',
  '[click](javascript:window.__xss=4)',
  '<a href="javascript:alert(5)">link</a>',
  '`</code><img src=x onerror=alert(6)>`',
];

test('formatting, reply, star, Important tab, forward and delete through the message menu', async ({ browser, baseURL }) => {
  test.skip(!DATABASE_URL, 'DIALOGS_E2E_DATABASE_URL is not set');
  const ctx = await context(browser);
  const page = await ctx.newPage();
  await guard(page);
  await signIn(page, 'admin@demo.test');
  await page.goto('/dialogs?section=new');
  await page.locator('body[data-hydrated]').waitFor();

  const chat = 600_000 + Math.floor(Math.random() * 90_000);
  const name = `Quote Client ${chat}`;
  const client = FakeClient.start(baseURL!, chat, name);
  try {
    await client.waitFor((l) => l.startsWith('Playing'));
    for (const payload of XSS) {
      client.write(payload);
    }
    client.write('Where is my order 42?');
    await client.waitFor(() => client.lines.filter((x) => x === '→ sent').length >= XSS.length + 1);

    const row = page.locator('a.dlg-row', { hasText: name }).first();
    await expect(row).toBeVisible({ timeout: 10_000 });
    await row.click();
    const question = page.locator('.dlg-msg--in', { hasText: 'Where is my order 42?' });
    await expect(question).toBeVisible();
    // Every payload is shown as the text the client typed; nothing of it became markup.
    for (const payload of XSS) {
      await expect(page.locator('.dlg-msg--in .dlg-msg__body', { hasText: payload })).toHaveCount(1);
    }
    await expect(page.locator('.dlg-chat__messages img:not(.dlg-file img)')).toHaveCount(0);
    await expect(page.locator('.dlg-chat__messages svg, .dlg-chat__messages script')).toHaveCount(0);
    await expect(page.locator('.dlg-chat__messages a[href^="javascript"]')).toHaveCount(0);

    // Bold from the toolbar around nothing puts the caret between the marks; italic by
    // shortcut on a selection.
    const input = page.locator('.dlg-composer__input');
    await input.fill('Your order is ');
    await input.press('End');
    await page.locator('.dlg-format__b').click();
    await expect(input).toHaveValue('Your order is ****');
    await page.keyboard.type('on its way');
    await expect(input).toHaveValue('Your order is **on its way**');
    await page.keyboard.press('End');
    await page.keyboard.type(' today');
    await page.keyboard.down('Shift');
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowLeft');
    await page.keyboard.up('Shift');
    await page.keyboard.press('Control+KeyI');
    await expect(input).toHaveValue('Your order is **on its way** _today_');
    await input.press('Enter');
    const formatted = page.locator('.dlg-msg--out', { hasText: 'on its way' }).last();
    await expect(formatted.locator('strong')).toHaveText('on its way');
    await expect(formatted.locator('em')).toHaveText('today');
    // The client gets the words, with Telegram's own bold and italic.
    await client.waitFor((l) => l === '← Your order is on its way today');

    // An operator's markup is not run either.
    await input.fill('**<img src=x onerror="window.__xss=7">**');
    await input.press('Enter');
    await expect(page.locator('.dlg-msg--out strong', { hasText: '<img src=x' })).toBeVisible();
    expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();

    // Reply from the right-click menu: quoted above the composer, then in the chat.
    await question.click({ button: 'right' });
    const menu = page.locator('.dlg-menu');
    await expect(menu).toBeVisible();
    await expect(menu.locator('button').first()).toBeFocused();
    await page.screenshot({ path: `${SHOTS}/message-menu-light.png` });
    await menu.locator('button', { hasText: 'Reply' }).click();
    await expect(page.locator('.dlg-composer__reply')).toContainText('Where is my order 42?');
    await input.fill('It left the warehouse');
    await input.press('Enter');
    const reply = page.locator('.dlg-msg--out', { hasText: 'It left the warehouse' });
    await expect(reply.locator('.dlg-quote')).toContainText('Where is my order 42?');
    await expect(page.locator('.dlg-composer__reply')).toHaveCount(0);
    await client.waitFor((l) => l === '← It left the warehouse');

    // Star from the "⋯" button (keyboard and touch), then the Important tab.
    await question.hover();
    await question.locator('.dlg-msg__more').click();
    await menu.locator('button', { hasText: 'Mark as important' }).click();
    await expect(question.locator('.dlg-msg__star')).toBeVisible();
    // System messages have no menu.
    await page.locator('.dlg-msg--system').first().click({ button: 'right' });
    await expect(menu).toHaveCount(0);

    await page.locator('.dlg-chat__important').click();
    await page.waitForURL(/\/important\?dialog=/);
    await page.locator('body[data-hydrated]').waitFor();
    const item = page.locator('.dlg-important__item', { hasText: 'Where is my order 42?' });
    await expect(item).toBeVisible();
    await expect(item).toContainText('starred by Alex Morgan');
    await page.screenshot({ path: `${SHOTS}/important-light.png` });
    await page.locator('.dlg-tabs__tab', { hasText: 'All dialogs' }).click();
    await expect(page.locator('.dlg-important__item', { hasText: 'Where is my order 42?' })).toBeVisible();
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${SHOTS}/important-phone-dark.png` });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'light'));
    await item.locator('a.dlg-important__dialog').click();
    await expect(question).toBeVisible();

    // Forward the question as a note to another dialog, picked by the client's name.
    await question.click({ button: 'right' });
    await menu.locator('button', { hasText: 'Forward' }).click();
    const picker = page.locator('.dlg-forward');
    await expect(picker).toBeVisible();
    await expect(picker.locator('.dlg-forward__item').first()).toBeVisible();
    await picker.locator('input[type=checkbox]').check();
    await page.screenshot({ path: `${SHOTS}/message-forward.png` });
    await picker.locator('.dlg-forward__item').first().click();
    await expect(picker).toHaveCount(0);
    await expect(page.locator('.dlg-toast')).toHaveText('Message forwarded');

    // Delete his own formatted message: kept in the chat, marked, and gone for the client.
    await formatted.click({ button: 'right' });
    await menu.locator('button', { hasText: 'Delete' }).click();
    await menu.locator('button', { hasText: 'Delete for everyone?' }).click();
    await expect(formatted).toHaveClass(/dlg-msg--gone/);
    await expect(formatted.locator('.dlg-msg__deleted')).toContainText('deleted by Alex Morgan');
    await client.waitFor((l) => l === '← (an operator deleted a message)');

    // Dark theme and phone width with the menu open.
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
    await reply.click({ button: 'right' });
    await page.screenshot({ path: `${SHOTS}/message-menu-dark.png` });
    await page.keyboard.press('Escape');
    await expect(menu).toHaveCount(0);
    await page.setViewportSize({ width: 390, height: 844 });
    await reply.locator('.dlg-msg__more').click();
    await expect(menu).toBeVisible();
    await page.screenshot({ path: `${SHOTS}/message-menu-phone.png` });
    expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();
  } finally {
    await client.stop();
    await ctx.close();
  }
});
