import { test, expect, Page } from '@playwright/test';
import { signIn, SHOTS, FakeClient, DATABASE_URL } from './support';
import { execFileSync } from 'child_process';

// The client is `dialogs fake-client` (see support.ts).

test('a Telegram client writes, the operator sees it live, replies, and the reply is delivered', async ({ browser, baseURL }) => {
  test.skip(!DATABASE_URL, 'DIALOGS_E2E_DATABASE_URL is not set');
  const context = await browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, 'admin@demo.test');
  await page.goto('/dialogs?section=new');
  await page.locator('body[data-hydrated]').waitFor();

  const chat = 700_000 + Math.floor(Math.random() * 100_000);
  const name = `Telegram Tester ${chat}`;
  const client = FakeClient.start(baseURL!, chat, name);
  try {
    await client.waitFor((l) => l.startsWith('Playing'));
    client.write('Hello! Do you ship to Kazan?');
    await client.waitFor((l) => l === '→ sent');

    // Live: the new dialog appears at the top of New without a reload.
    const row = page.locator('a.dlg-row', { hasText: name });
    await expect(row).toBeVisible({ timeout: 5_000 });
    await row.click();
    await expect(page.locator('.dlg-msg--in .dlg-msg__body', { hasText: 'Do you ship to Kazan?' })).toBeVisible();

    const input = page.locator('.dlg-composer__input');
    await input.fill('Yes, in 2 days.');
    await input.press('Enter');
    // The client receives it through the Bot API, and the operator sees "Sent".
    await client.waitFor((l) => l === '← Yes, in 2 days.');
    const reply = page.locator('.dlg-msg--out', { hasText: 'Yes, in 2 days.' });
    await expect(reply.locator('.dlg-msg__delivery')).toHaveAttribute('data-delivery', 'sent', { timeout: 10_000 });

    // A reply the messenger refused shows why, and goes out again from Retry.
    const messageId = await reply.getAttribute('data-message-id');
    execFileSync('psql', ['-q', '-d', DATABASE_URL, '-c',
      `UPDATE messages SET delivery = 'failed', delivery_error = 'Forbidden: bot was blocked by the user' WHERE id = ${Number(messageId)}`]);
    await page.reload();
    await page.locator('body[data-hydrated]').waitFor();
    const failed = page.locator(`.dlg-msg[data-message-id="${messageId}"]`);
    await expect(failed.locator('.dlg-msg__delivery')).toHaveAttribute('data-delivery', 'failed');
    await expect(failed.locator('.dlg-msg__failure')).toContainText('blocked');
    await page.screenshot({ path: `${SHOTS}/chat-failed-delivery.png` });
    await failed.locator('.dlg-msg__retry').click();
    await expect(failed.locator('.dlg-msg__delivery')).toHaveAttribute('data-delivery', 'sent', { timeout: 10_000 });
    await expect.poll(() => client.lines.filter((l) => l === '← Yes, in 2 days.').length).toBe(2);
    await page.screenshot({ path: `${SHOTS}/chat-telegram-light.png` });

    // Dark theme and phone width of the same dialog.
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
    await page.screenshot({ path: `${SHOTS}/chat-telegram-dark.png` });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${SHOTS}/chat-telegram-phone.png` });
  } finally {
    await client.stop();
    await context.close();
  }
});
