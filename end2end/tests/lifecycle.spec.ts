import { test, expect, Page, Browser } from '@playwright/test';
import { signIn, SHOTS, FakeClient, DATABASE_URL } from './support';
import { execFileSync } from 'child_process';

// The dialog lifecycle as operators live it (D1–D6, D11): a Telegram client writes, Anna
// (Sales, Russian interface) accepts with Alt+A and replies, redirects the dialog to Alex,
// who sees it arrive in New, accepts it and closes it with a reason; the client writes
// again and a new dialog opens.

async function context(browser: Browser) {
  return browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 800 } });
}

async function openRow(page: Page, name: string) {
  const row = page.locator('a.dlg-row', { hasText: name }).first();
  await expect(row).toBeVisible({ timeout: 10_000 });
  await row.click();
  await expect(page.locator('.dlg-chat__title')).toBeVisible();
}

test('accept, reply, redirect, close with a reason, and a new dialog when the client writes again', async ({ browser, baseURL }) => {
  test.skip(!DATABASE_URL, 'DIALOGS_E2E_DATABASE_URL is not set');
  const annaContext = await context(browser);
  const alexContext = await context(browser);
  const anna = await annaContext.newPage();
  const alex = await alexContext.newPage();
  await signIn(anna, 'anna@demo.test');
  await signIn(alex, 'admin@demo.test');
  await anna.goto('/dialogs?section=new');
  await alex.goto('/dialogs?section=new');
  await anna.locator('body[data-hydrated]').waitFor();
  await alex.locator('body[data-hydrated]').waitFor();

  const chat = 800_000 + Math.floor(Math.random() * 100_000);
  const name = `Lifecycle Client ${chat}`;
  const client = FakeClient.start(baseURL!, chat, name);
  try {
    await client.waitFor((l) => l.startsWith('Playing'));
    client.write('Hello, I need an invoice for order 7');
    await client.waitFor((l) => l === '→ sent');

    // Anna opens it from New and accepts it with the keyboard.
    await openRow(anna, name);
    const dialogUrl = anna.url();
    await expect(anna.locator('.dlg-actions button[data-action=accept]')).toHaveAttribute('aria-keyshortcuts', 'Alt+A');
    await anna.keyboard.press('Alt+KeyA');
    await expect(anna.locator('.dlg-msg--system', { hasText: 'Анна Петрова приняла' }).or(
      anna.locator('.dlg-msg--system', { hasText: 'Анна Петрова принял' }))).toBeVisible();
    await expect(anna.locator('.dlg-chat__header .dlg-status--in_work')).toBeVisible();
    await expect(anna.locator('.dlg-actions button[data-action=accept]')).toHaveCount(0);

    // A draft survives a reload.
    const input = anna.locator('.dlg-composer__input');
    await input.fill('Черновик ответа');
    await anna.reload();
    await anna.locator('body[data-hydrated]').waitFor();
    await expect(input).toHaveValue('Черновик ответа');

    // She replies; the client gets it.
    await input.fill('Добрый день! Сейчас пришлю.');
    await input.press('Enter');
    await client.waitFor((l) => l === '← Добрый день! Сейчас пришлю.');

    // Redirect to Alex: the form lists users and groups; it leaves Anna and waits in Alex's New.
    const form = anna.locator('form.dlg-modal__panel');
    // The reply's delivery update redraws the messages, not the header: the click is not lost.
    await anna.locator('.dlg-actions button[data-action=redirect]').click();
    await expect(form).toBeVisible();
    await form.locator('select[name=to]').selectOption({ label: 'Alex Morgan' });
    await anna.screenshot({ path: `${SHOTS}/lifecycle-redirect-form.png` });
    await form.locator('button[type=submit]').click();
    await expect(form).toHaveCount(0);
    await expect(anna.locator('.dlg-msg--system', { hasText: 'Alex Morgan' })).toBeVisible();
    await expect(anna.locator('.dlg-chat__header .dlg-status--returned')).toBeVisible();

    // Alex sees it in New without a reload, opens it and accepts.
    await openRow(alex, name);
    expect(new URL(alex.url()).pathname).toBe(new URL(dialogUrl).pathname);
    await expect(alex.locator('.dlg-msg--system', { hasText: 'redirected the dialog to Alex Morgan' })).toBeVisible();
    await alex.locator('.dlg-actions button[data-action=accept]').click();
    await expect(alex.locator('.dlg-msg--system', { hasText: 'Alex Morgan accepted the dialog' })).toBeVisible();

    // An observer joins; the client sees nothing of it.
    await alex.locator('.dlg-actions button[data-action=helpers]').click();
    const people = alex.locator('.dlg-helpers');
    await people.locator('select[name=user]').selectOption({ label: 'Ivan Sokolov' });
    await people.locator('select[name=role]').selectOption('observer');
    await alex.screenshot({ path: `${SHOTS}/lifecycle-helpers-form.png` });
    await people.locator('form button[type=submit]').click();
    await expect(people).toHaveCount(0);
    await expect(alex.locator('.dlg-msg--system', { hasText: 'Alex Morgan added Ivan Sokolov as an observer' })).toBeVisible();
    await alex.locator('.dlg-actions button[data-action=helpers]').click();
    await expect(alex.locator('.dlg-helpers__item[data-role=observer]')).toContainText('Ivan Sokolov');
    await alex.keyboard.press('Escape');

    // System messages can be hidden for oneself, and shown again.
    await alex.locator('.dlg-actions button[data-action=hide_system]').click();
    await expect(alex.locator('.dlg-msg--system')).toHaveCount(0);
    await expect(alex.locator('.dlg-actions button[data-action=hide_system]')).toHaveAttribute('aria-pressed', 'true');
    await alex.locator('.dlg-actions button[data-action=hide_system]').click();
    await expect(alex.locator('.dlg-msg--system', { hasText: 'Alex Morgan accepted the dialog' })).toBeVisible();

    // Close with a reason from the catalogue.
    await alex.keyboard.press('Alt+KeyC');
    const close = alex.locator('form.dlg-modal__panel');
    await expect(close.locator('select[name=reason]')).toBeVisible();
    await close.locator('select[name=reason]').selectOption({ index: 1 });
    const reason = (await close.locator('select[name=reason] option:checked').innerText()).trim();
    await alex.screenshot({ path: `${SHOTS}/lifecycle-close-form.png` });
    await close.locator('button[type=submit]').click();
    await expect(alex.locator('.dlg-msg--system', { hasText: `Alex Morgan closed the dialog: ${reason}` })).toBeVisible();
    await expect(alex.locator('.dlg-chat__header .dlg-status--closed')).toBeVisible();
    await expect(alex.locator('.dlg-actions button[data-action=close]')).toHaveCount(0);
    // Anna, who still has it open, is told at once: no more replies to the client.
    await expect(anna.locator('.dlg-chat__header .dlg-status--closed')).toBeVisible();
    await expect(anna.locator('.dlg-composer__readonly')).toBeVisible();
    // Nobody writes to the client in a closed dialog.
    await expect(alex.locator('.dlg-composer__readonly')).toBeVisible();
    await alex.screenshot({ path: `${SHOTS}/lifecycle-closed-light.png` });
    await alex.emulateMedia({ colorScheme: 'dark' });
    await alex.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
    await alex.screenshot({ path: `${SHOTS}/lifecycle-closed-dark.png` });
    await alex.setViewportSize({ width: 390, height: 844 });
    await alex.screenshot({ path: `${SHOTS}/lifecycle-closed-phone.png` });
    await alex.setViewportSize({ width: 1280, height: 800 });
    const closedId = alex.url().match(/\/dialogs\/(\d+)/)![1];

    // The client writes again: a new dialog, in New for both.
    client.write('One more question about delivery');
    await client.waitFor((l) => l.startsWith('→ sent') && client.lines.filter((x) => x === '→ sent').length >= 2);
    await alex.goto('/dialogs?section=new');
    await alex.locator('body[data-hydrated]').waitFor();
    const fresh = alex.locator('a.dlg-row', { hasText: name }).first();
    await expect(fresh).toBeVisible({ timeout: 10_000 });
    const freshId = await fresh.getAttribute('data-dialog-id');
    expect(freshId).not.toBe(closedId);
    await expect(anna.locator('a.dlg-row', { hasText: name }).first()).toBeVisible({ timeout: 10_000 });
    await anna.screenshot({ path: `${SHOTS}/lifecycle-new-again-ru.png` });
  } finally {
    await client.stop();
    await annaContext.close();
    await alexContext.close();
  }
});

test('when another operator accepts the open dialog, it says so live and leaves the New list', async ({ browser, baseURL }) => {
  test.skip(!DATABASE_URL, 'DIALOGS_E2E_DATABASE_URL is not set');
  // Ivan works on Support; for this test he may also answer on Sales.
  execFileSync('psql', ['-q', '-d', DATABASE_URL, '-c',
    `INSERT INTO line_access (account_id, line_id, user_id, can_view, can_send)
     SELECT l.account_id, l.id, u.id, true, true FROM lines l, users u
      WHERE l.name = 'Sales' AND u.email = 'ivan@demo.test' AND u.account_id = l.account_id
     ON CONFLICT DO NOTHING`]);
  const annaContext = await context(browser);
  const ivanContext = await context(browser);
  const anna = await annaContext.newPage();
  const ivan = await ivanContext.newPage();
  await signIn(anna, 'anna@demo.test');
  await signIn(ivan, 'ivan@demo.test');
  const chat = 900_000 + Math.floor(Math.random() * 90_000);
  const name = `Race Client ${chat}`;
  const client = FakeClient.start(baseURL!, chat, name);
  try {
    await client.waitFor((l) => l.startsWith('Playing'));
    client.write('Anyone there?');
    await client.waitFor((l) => l === '→ sent');
    await anna.goto('/dialogs?section=new');
    await ivan.goto('/dialogs?section=new');
    await openRow(anna, name);
    await openRow(ivan, name);
    await expect(ivan.locator('.dlg-actions button[data-action=accept]')).toBeVisible();
    await anna.locator('.dlg-actions button[data-action=accept]').click();
    await expect(anna.locator('.dlg-chat__header .dlg-status--in_work')).toBeVisible();
    // Ivan's open dialog tells him, and the row leaves his New list, without a reload.
    await expect(ivan.locator('.dlg-chat__taken')).toHaveText('Another operator has just accepted this dialog.');
    await expect(ivan.locator('a.dlg-row', { hasText: name })).toHaveCount(0);
    await ivan.screenshot({ path: `${SHOTS}/lifecycle-taken.png` });
  } finally {
    await client.stop();
    await annaContext.close();
    await ivanContext.close();
  }
});

test('close reasons are kept in settings and counted in the report, on the page and as CSV', async ({ browser }) => {
  const ctx = await context(browser);
  const page = await ctx.newPage();
  await signIn(page, 'admin@demo.test');
  await page.goto('/settings');
  await page.locator('body[data-hydrated]').waitFor();
  const section = page.locator('section.dlg-reasons');
  await expect(section.locator('li.dlg-reasons__item').first()).toBeVisible();
  const reason = `Wrong number ${Date.now() % 100_000}`;
  await section.locator('input[name=reason_name]').fill(reason);
  await section.locator('form button[type=submit]').click();
  await expect(section.locator('li.dlg-reasons__item input').last()).toHaveValue(reason);
  // The same name twice is refused with a message.
  await section.locator('input[name=reason_name]').fill(reason);
  await section.locator('form button[type=submit]').click();
  await expect(section.locator('.dlg-settings__error')).toHaveText('A reason with this name exists.');
  await section.screenshot({ path: `${SHOTS}/settings-close-reasons.png` });

  // The report of the demo's closed dialogs: totals per reason and the detailed table.
  await page.goto('/reports');
  await page.locator('body[data-hydrated]').waitFor();
  await expect(page.locator('.dlg-report__bar').first()).toBeVisible();
  await expect(page.locator('.dlg-report__table tbody tr').first()).toBeVisible();
  const total = Number(await page.locator('.dlg-report__table tfoot td').innerText());
  expect(total).toBeGreaterThan(0);
  await page.screenshot({ path: `${SHOTS}/report-light.png`, fullPage: true });
  // One line only.
  await page.locator('select[name=line]').selectOption({ label: 'Support' });
  await page.locator('.dlg-report__filters button[type=submit]').click();
  await expect.poll(async () => Number(await page.locator('.dlg-report__table tfoot td').innerText())).toBeLessThan(total);
  // The CSV carries the same rows.
  const href = await page.locator('.dlg-report__filters a[download]').getAttribute('href');
  const csv = await (await page.request.get(href!)).text();
  expect(csv.split('\r\n')[0]).toBe('\ufeffReason,Line,Operator,Closed');
  expect(csv).toContain(',Support,');
  expect(csv).not.toContain(',Sales,');
  // A reversed period is refused with a message.
  await page.locator('.dlg-report__filters input[type=date]').first().fill('2030-01-01');
  await page.locator('.dlg-report__filters button[type=submit]').click();
  await expect(page.locator('.dlg-settings__error')).toHaveText('The period ends before it starts.');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
  await page.locator('.dlg-report__filters input[type=date]').first().fill('2020-01-01');
  await page.locator('.dlg-report__filters button[type=submit]').click();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${SHOTS}/report-phone-dark.png`, fullPage: true });
  await ctx.close();
});
