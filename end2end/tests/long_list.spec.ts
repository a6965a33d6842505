// The inbox at scale in the browser: an account with 10,500 dialogs and one dialog of 20,000
// messages. The list loads page after page as it is scrolled yet keeps only the rows in sight
// in the page; the long dialog opens at its first unread message and loads later ones on
// request. Prints how long the long dialog took to show (the figure in docs/benchmarks.md).
import { test, expect } from '@playwright/test';
import { execFileSync } from 'child_process';
import { signIn, SHOTS, DATABASE_URL } from './support';

const DIALOGS = 10_500;
const MESSAGES = 20_000;

function psql(sql: string): string {
  return execFileSync('psql', ['-qtA', '-v', 'ON_ERROR_STOP=1', DATABASE_URL, '-c', sql], { encoding: 'utf8' }).trim();
}

/** A second account, "Scale", whose admin is scale@demo.test (the demo password). */
function seedScaleAccount(): number {
  const existing = psql("SELECT id FROM dialogs WHERE title = 'The long one'");
  if (existing) return Number(existing);
  psql(`
    WITH a AS (INSERT INTO accounts (name) VALUES ('Scale') RETURNING id),
    u AS (INSERT INTO users (account_id, email, display_name, password_hash, role)
          SELECT a.id, 'scale@demo.test', 'Scale Admin',
                 (SELECT password_hash FROM users WHERE email = 'admin@demo.test' LIMIT 1), 'admin'
            FROM a RETURNING account_id),
    l AS (INSERT INTO lines (account_id, name) SELECT account_id, 'Bulk' FROM u RETURNING id, account_id),
    ch AS (INSERT INTO channels (account_id, line_id, kind, name)
           SELECT account_id, id, 'email', 'bulk@scale.test' FROM l RETURNING id, account_id, line_id),
    c AS (INSERT INTO clients (account_id, name)
          SELECT ch.account_id, 'Bulk client ' || n FROM ch, generate_series(1, ${DIALOGS}) n
          RETURNING id, account_id)
    INSERT INTO dialogs (account_id, number, status, line_id, channel_id, client_id,
                         last_message_at, last_message_snippet, last_activity_id)
    SELECT c.account_id, c.id, 'new', ch.line_id, ch.id, c.id,
           now() - (c.id - (SELECT min(id) FROM c)) * interval '1 minute', 'Bulk message', 1
      FROM c, ch`);
  const dialog = Number(psql(`
    UPDATE dialogs SET title = 'The long one', last_message_at = now() + interval '1 minute'
     WHERE id = (SELECT min(d.id) FROM dialogs d JOIN accounts a ON a.id = d.account_id
                  WHERE a.name = 'Scale')
    RETURNING id`));
  psql(`
    INSERT INTO messages (account_id, dialog_id, kind, direction, body, created_at)
    SELECT d.account_id, d.id, 'message',
           CASE WHEN n % 3 = 0 THEN 'out' ELSE 'in' END::message_direction,
           'Message number ' || n, now() - (${MESSAGES} - n) * interval '1 second'
      FROM dialogs d, generate_series(1, ${MESSAGES}) n WHERE d.id = ${dialog}`);
  psql(`UPDATE dialogs SET last_activity_id = (SELECT max(id) FROM messages WHERE dialog_id = ${dialog})
         WHERE id = ${dialog}`);
  return dialog;
}

test('ten thousand dialogs scroll with only the rows in sight in the page', async ({ browser }) => {
  test.setTimeout(180_000);
  seedScaleAccount();
  const context = await browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, 'scale@demo.test');
  await page.goto('/dialogs');
  await page.locator('body[data-hydrated]').waitFor();
  const list = page.locator('ul.dlg-list__items');
  await expect(list.locator('a.dlg-row').first()).toBeVisible();

  // Scroll to the end again and again until the last dialog (the oldest) is in sight.
  const last = list.locator('.dlg-row__name', { hasText: new RegExp(`^Bulk client ${DIALOGS}$`) });
  const started = Date.now();
  for (let i = 0; i < 3000; i++) {
    await list.evaluate((ul) => ul.scrollTo(0, ul.scrollHeight));
    await page.waitForTimeout(40);
    if (await last.count()) break;
  }
  await expect(last).toBeVisible();
  console.log(`loaded ${DIALOGS} dialogs by scrolling in ${Date.now() - started} ms`);
  const drawn = await list.locator('a.dlg-row').count();
  expect(drawn).toBeLessThan(120);
  // The scroll height stands for every row, drawn or not.
  const height = await list.evaluate((ul) => ul.scrollHeight);
  expect(height).toBeGreaterThan(DIALOGS * 50);

  // Back to the top in one jump: the first rows are drawn again.
  await list.evaluate((ul) => ul.scrollTo(0, 0));
  await expect(list.locator('a.dlg-row', { hasText: 'The long one' })).toBeVisible();
  // A jump into the middle draws the rows there.
  await list.evaluate((ul) => ul.scrollTo(0, ul.scrollHeight / 2));
  await expect
    .poll(() =>
      list.evaluate((ul) => {
        const box = ul.getBoundingClientRect();
        return [...ul.querySelectorAll('a.dlg-row')].filter((a) => {
          const r = a.getBoundingClientRect();
          return r.bottom > box.top && r.top < box.bottom;
        }).length;
      }),
    )
    .toBeGreaterThan(5);
  await page.screenshot({ path: `${SHOTS}/long-list-light.png` });
  await context.close();
});

test('a dialog of twenty thousand messages opens at the first unread and loads later ones', async ({ browser }) => {
  test.setTimeout(120_000);
  const dialog = seedScaleAccount();
  const context = await browser.newContext({ colorScheme: 'dark', viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, 'scale@demo.test');
  await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
  // Nothing read yet: it opens at the first message.
  const row = page.locator(`a.dlg-row[data-dialog-id="${dialog}"]`);
  await expect(row).toBeVisible();
  // Timed inside the page, from the click to the frame after the first unread message
  // entered the document (Playwright's own polling would add its intervals).
  await page.evaluate(() => {
    (window as any).__painted = new Promise<number>((resolve) => {
      let clicked = 0;
      document.addEventListener('click', () => (clicked = performance.now()), { capture: true, once: true });
      const found = () =>
        Array.from(document.querySelectorAll('.dlg-chat__messages .dlg-msg__body')).some(
          (m) => (m.textContent ?? '').trim() === 'Message number 1',
        );
      const observer = new MutationObserver(() => {
        if (clicked && found()) {
          observer.disconnect();
          requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - clicked), 0));
        }
      });
      observer.observe(document.body, { childList: true, subtree: true });
    });
  });
  await row.click();
  const messages = page.locator('.dlg-chat__messages');
  const ms = await page.evaluate(() => (window as any).__painted as Promise<number>);
  console.log(`a ${MESSAGES}-message dialog drew its first unread message ${Math.round(ms)} ms after the click`);
  await expect(messages.locator('.dlg-msg', { hasText: 'Message number 1' }).first()).toBeVisible();
  await expect(messages.locator('.dlg-msg', { hasText: 'Message number 1' }).first()).toBeInViewport();
  const later = messages.locator('button.dlg-chat__later');
  await expect(later).toBeVisible();
  const before = await messages.locator('.dlg-msg').count();
  expect(before).toBeLessThanOrEqual(201);
  await later.click();
  await expect.poll(() => messages.locator('.dlg-msg').count()).toBeGreaterThan(before);
  await page.screenshot({ path: `${SHOTS}/long-dialog-dark.png` });

  // Scrolled on, the window grows a few pages and then moves along: any message can be
  // reached, the page holds a few hundred, and the message at the edge stays in view.
  const numbers = () =>
    messages.evaluate((el) =>
      Array.from(el.querySelectorAll('.dlg-msg__body')).map((b) =>
        Number(/^Message number (\d+)$/.exec((b.textContent ?? '').trim())?.[1] ?? 0),
      ).filter((n) => n > 0),
    );
  const highest = async () => Math.max(...(await numbers()));
  const lowest = async () => Math.min(...(await numbers()));
  const body = (n: number) =>
    messages.locator('.dlg-msg__body', { hasText: new RegExp(`^\\s*Message number ${n}\\s*$`) });
  let loads = 0;
  while ((await highest()) < 2_600 && loads < 30) {
    const edge = await highest();
    await messages.evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await expect.poll(highest).toBeGreaterThan(edge);
    await expect(body(edge)).toBeInViewport();
    expect(await messages.locator('.dlg-msg').count()).toBeLessThanOrEqual(1_000);
    loads += 1;
  }
  expect(await highest()).toBeGreaterThanOrEqual(2_600);
  // Only the message it opened at is marked as found, never an edge the window moved to.
  expect(await messages.locator('.dlg-msg--found').count()).toBe(0);
  // And back: earlier messages come again above, the edge staying in view.
  const low = await lowest();
  await messages.evaluate((el) => el.scrollTo(0, 0));
  await expect.poll(lowest).toBeLessThan(low);
  await expect(body(low)).toBeInViewport();
  await context.close();
});
