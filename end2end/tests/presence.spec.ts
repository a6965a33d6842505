import { test, expect, Page, Browser } from '@playwright/test';
import { signIn, SHOTS, FakeClient, DATABASE_URL } from './support';

// Presence in a dialog: a Telegram client writes; Anna (Sales, Russian interface, on the
// second app server) and Alex (admin, English, on the first) open the new dialog. Each sees
// the other viewing it; Alex types and Anna sees "Alex Morgan печатает…"; Alex leaves and
// Anna's line empties. Nothing of it is a message.

const SECOND = process.env.DIALOGS_E2E_URL2 ?? 'http://127.0.0.1:3111';

async function context(browser: Browser) {
  return browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 800 } });
}

async function openRow(page: Page, name: string) {
  const row = page.locator('a.dlg-row', { hasText: name }).first();
  await expect(row).toBeVisible({ timeout: 10_000 });
  await row.click();
  await expect(page.locator('.dlg-chat__title')).toBeVisible();
}

test('operators in the same dialog see each other viewing and typing, across app servers', async ({ browser, baseURL }) => {
  test.skip(!DATABASE_URL, 'DIALOGS_E2E_DATABASE_URL is not set');
  const annaContext = await context(browser);
  const alexContext = await context(browser);
  const anna = await annaContext.newPage();
  const alex = await alexContext.newPage();
  await signIn(anna, 'anna@demo.test', SECOND);
  await signIn(alex, 'admin@demo.test');
  await anna.goto(`${SECOND}/dialogs?section=new`);
  await alex.goto('/dialogs?section=new');
  await anna.locator('body[data-hydrated]').waitFor();
  await alex.locator('body[data-hydrated]').waitFor();

  const chat = 400_000 + Math.floor(Math.random() * 90_000);
  const name = `Presence Client ${chat}`;
  const client = FakeClient.start(baseURL!, chat, name);
  try {
    await client.waitFor((l) => l.startsWith('Playing'));
    client.write('Is anyone there?');
    await client.waitFor((l) => l === '→ sent');

    await openRow(anna, name);
    await openRow(alex, name);
    expect(new URL(alex.url()).pathname).toBe(new URL(anna.url()).pathname);

    // Each sees the other (a heartbeat repeats it within 10 s, should the first report
    // have crossed a socket still opening).
    const annaLine = anna.locator('.dlg-presence');
    const alexLine = alex.locator('.dlg-presence');
    await expect(annaLine).toHaveText('Alex Morgan просматривает диалог', { timeout: 15_000 });
    await expect(alexLine).toHaveText('Анна Петрова is viewing', { timeout: 15_000 });

    // Alex types: Anna sees it at once; it is not a message.
    const input = alex.locator('.dlg-composer__input');
    await input.pressSequentially('Let me check', { delay: 30 });
    await expect(annaLine).toHaveText('Alex Morgan печатает…');
    await expect(annaLine).toHaveClass(/dlg-presence--typing/);
    await anna.screenshot({ path: `${SHOTS}/presence.png` });
    await expect(anna.locator('.dlg-msg', { hasText: 'Let me check' })).toHaveCount(0);

    // Typing goes quiet after a few seconds without keystrokes; viewing stays.
    await expect(annaLine).toHaveText('Alex Morgan просматривает диалог', { timeout: 10_000 });

    // Alex leaves the dialog: Anna's line empties.
    await alex.goto('/dialogs?section=new');
    await alex.locator('body[data-hydrated]').waitFor();
    await expect(annaLine).toHaveText('', { timeout: 10_000 });
  } finally {
    await client.stop();
    await annaContext.close();
    await alexContext.close();
  }
});
