import { test, expect, Page } from '@playwright/test';
import { signIn, SHOTS } from './support';


test('an admin creates a line, connects a Telegram bot to it and is told how to point its webhook', async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, 'admin@demo.test');
  await page.click('a.dlg-topbar__settings');
  await page.waitForURL(/\/settings/);
  await page.locator('body[data-hydrated]').waitFor();
  await expect(page.locator('[data-line]').first()).toBeVisible();

  const name = `Wholesale ${Date.now() % 100000}`;
  await page.fill('input[name=line_name]', name);
  await page.click('.dlg-settings__section form button[type=submit] >> nth=0');
  await expect(page.locator('.dlg-settings__outcome')).toHaveText('Saved.');
  await expect.poll(async () => page.locator('[data-line] input.dlg-input').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value))).toContain(name);

  // A wrong token is refused with a clear message; a right one gives the setWebhook command.
  await page.fill('input[name=bot_name]', '@wholesale_bot');
  await page.fill('input[name=bot_token]', 'nonsense');
  await page.locator('form:has(input[name=bot_token])').getByRole('button', { name: 'Connect' }).click();
  await expect(page.locator('.dlg-settings__error')).toContainText('not a bot token');
  await page.fill('input[name=bot_token]', '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw');
  await page.locator('form:has(input[name=bot_token])').getByRole('button', { name: 'Connect' }).click();
  await expect(page.locator('.dlg-settings__code')).toContainText('/webhooks/telegram/');
  await expect(page.locator('.dlg-settings__code')).toContainText('secret_token=');
  await expect(page.locator('[data-channel]', { hasText: '@wholesale_bot' })).toBeVisible();
  // A WhatsApp number: Meta's fields, then the callback URL and the verify token, shown once.
  const connect = page.locator('form.dlg-connect');
  await connect.locator('select[name=kind]').selectOption('whatsapp');
  await connect.locator('input[name=channel_name]').fill('WhatsApp +7 999');
  await connect.locator('input[name=phone_number_id]').fill('+7 999');
  await connect.locator('input[name=business_account_id]').fill('2065550002');
  await connect.locator('input[name=access_token]').fill('EAAG-e2e');
  await connect.locator('input[name=app_secret]').fill('e2e-secret');
  await connect.getByRole('button', { name: 'Connect' }).click();
  await expect(page.locator('.dlg-settings__error')).toHaveText("Meta's ids are digits only.");
  await expect(connect.locator('input[name=phone_number_id]')).toHaveAttribute('aria-invalid', 'true');
  await connect.locator('input[name=phone_number_id]').fill('1065550009');
  await connect.getByRole('button', { name: 'Connect' }).click();
  await expect(page.locator('.dlg-connect__secret')).toContainText('/webhooks/whatsapp/');
  await expect(page.locator('[data-channel]', { hasText: 'WhatsApp +7 999' })).toBeVisible();
  // A mailbox read over IMAP: a server that cannot be reached is shown on the channel.
  await connect.locator('select[name=kind]').selectOption('email');
  await connect.locator('input[name=channel_name]').fill('orders@demo.test');
  await connect.locator('input[name=from_address]').fill('orders@demo.test');
  await connect.locator('input[name=smtp_host]').fill('127.0.0.1');
  await connect.locator('input[name=imap_host]').fill('127.0.0.1');
  await connect.locator('input[name=imap_port]').fill('1');
  await connect.locator('select[name=imap_tls]').selectOption('none');
  await connect.locator('input[name=imap_username]').fill('orders@demo.test');
  await connect.locator('input[name=imap_password]').fill('pw');
  await connect.getByRole('button', { name: 'Connect' }).click();
  await expect(page.locator('.dlg-connect__secret')).toContainText('/webhooks/email/');
  const mailbox = page.locator('[data-channel]', { hasText: 'orders@demo.test' });
  await expect(mailbox.getByRole('button', { name: 'Receive messages now' })).toBeVisible();
  await expect.poll(async () => {
    await page.waitForTimeout(1000);
    await page.reload();
    await page.locator('body[data-hydrated]').waitFor();
    return mailbox.locator('.dlg-settings__mail').textContent();
  }, { timeout: 30000 }).toContain('cannot reach 127.0.0.1:1');
  await mailbox.getByRole('button', { name: 'Receive messages now' }).click();
  await expect(page.locator('.dlg-settings__outcome')).toHaveText('Checking the mailbox…');
  await page.screenshot({ path: `${SHOTS}/settings-light.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
  await page.screenshot({ path: `${SHOTS}/settings-dark.png` });
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: `${SHOTS}/settings-phone.png` });
  await context.close();
});

test('an operator sees no settings link, and the page refuses them', async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'light' });
  const page = await context.newPage();
  await signIn(page, 'anna@demo.test');
  await expect(page.locator('a.dlg-topbar__settings')).toHaveCount(0);
  await page.goto('/settings');
  await page.locator('body[data-hydrated]').waitFor();
  // Anna works in Russian.
  await expect(page.locator('.dlg-settings__error')).toHaveText(/not allowed|нет прав/);
  await context.close();
});

test('an admin reads the events a channel kept aside, dismisses one and stores the other again', async ({ browser }) => {
  const DATABASE_URL = process.env.DIALOGS_E2E_DATABASE_URL ?? '';
  test.skip(!DATABASE_URL, 'DIALOGS_E2E_DATABASE_URL is not set');
  const { execFileSync } = await import('child_process');
  // Two events the database refused on the demo's first Telegram channel.
  execFileSync('psql', ['-q', '-d', DATABASE_URL, '-c',
    `INSERT INTO dead_letters (account_id, channel_id, event_index, body, error)
     SELECT account_id, id, 0, convert_to('{"update_id": ' || n || ', "message": {"message_id": ' || n
              || ', "date": 1700000000, "chat": {"id": ' || (987650 + n) || ', "type": "private", "first_name": "Kept"}'
              || ', "from": {"id": ' || (987650 + n) || ', "is_bot": false, "first_name": "Kept"}, "text": "poison ' || n || '"}}', 'UTF8'),
            'storing an inbound message: violates check constraint "no_poison"'
       FROM channels, generate_series(1, 2) n
      WHERE id = (SELECT min(id) FROM channels WHERE kind = 'telegram')`]);
  const context = await browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, 'admin@demo.test');
  await page.goto('/settings');
  await page.locator('body[data-hydrated]').waitFor();
  const dead = page.locator('.dlg-dead').first();
  await expect(dead).toContainText('kept aside');
  await dead.getByRole('button', { name: 'Show' }).click();
  await expect(dead.locator('.dlg-dead__item')).toHaveCount(2);
  await expect(dead.locator('.dlg-dead__reason').first()).toContainText('no_poison');
  await expect(dead.locator('.dlg-dead__body').first()).toContainText('poison 2');
  await page.screenshot({ path: `${SHOTS}/settings-dead-letters-light.png` });
  await dead.locator('.dlg-dead__item').first().getByRole('button', { name: 'Dismiss' }).click();
  await expect(page.locator('.dlg-dead__item')).toHaveCount(1);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
  await dead.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/settings-dead-letters-phone-dark.png` });
  // The cause is gone (this database has no such constraint): "Try again" stores it, and it
  // leaves the list.
  await dead.locator('.dlg-dead__item').first().getByRole('button', { name: 'Try again' }).click();
  await expect(dead.getByRole('status')).toContainText('Storing it again');
  await expect(page.locator('.dlg-dead__item')).toHaveCount(0, { timeout: 15_000 });
  await expect(dead).toHaveAttribute('data-dead-letters', '0');
  const stored = execFileSync('psql', ['-qAt', '-d', DATABASE_URL, '-c',
    `SELECT count(*) FROM messages WHERE body = 'poison 1'`]).toString().trim();
  expect(stored).toBe('1');
  await context.close();
});

test('an admin makes an API token for a bot user, the bot calls with it, and it is revoked', async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, 'admin@demo.test');
  await page.goto('/settings');
  await page.locator('body[data-hydrated]').waitFor();
  const section = page.locator('.dlg-tokens');
  await expect(section.getByRole('heading', { name: 'REST API tokens' })).toBeVisible();

  // No user chosen: told to choose one.
  const name = `e2e bot ${Date.now() % 100000}`;
  await section.locator('input[name=token_name]').fill(name);
  await section.getByRole('button', { name: 'Create token' }).click();
  await expect(section.locator('.dlg-settings__error')).toContainText('Choose an active user');

  await section.locator('select[name=user_id]').selectOption({ label: 'Ivan Sokolov' });
  await section.getByRole('button', { name: 'Create token' }).click();
  const shown = section.locator('.dlg-tokens__new');
  await expect(shown).toHaveText(/^dlg_[0-9a-f]{64}$/);
  const token = (await shown.textContent()) ?? '';
  const row = section.locator('.dlg-tokens__item', { hasText: name });
  await expect(row).toContainText('acts as Ivan Sokolov');
  await expect(row).toContainText('last used never');
  await section.evaluate((el) => el.scrollIntoView({ block: 'end' }));
  await page.screenshot({ path: `${SHOTS}/settings-api-tokens-light.png` });

  // The bot calls with it and sees Ivan's lines.
  const asBot = await page.request.get('/api/v1/lines', { headers: { Authorization: `Bearer ${token}` } });
  expect(asBot.status()).toBe(200);

  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
  await row.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/settings-api-tokens-phone-dark.png` });

  await row.getByRole('button', { name: 'Revoke' }).click();
  await expect(section.locator('.dlg-tokens__item', { hasText: name })).toHaveCount(0);
  const revoked = await page.request.get('/api/v1/lines', { headers: { Authorization: `Bearer ${token}` } });
  expect(revoked.status()).toBe(401);
  await context.close();
});
