import { Page } from '@playwright/test';
import { spawn, ChildProcessWithoutNullStreams } from 'child_process';
import * as readline from 'readline';

/** The demo account's password (every demo user has it). */
export const PASSWORD = 'dialogs-demo';
/** Where the tests leave their screenshots. */
export const SHOTS = 'screenshots';

/** Signs in through the login page and waits for the hydrated inbox. */
export async function signIn(page: Page, email: string, base = '') {
  // A panic in the browser bundle is printed with the test's output.
  page.on('pageerror', (e) => console.log('PAGEERROR', String(e).slice(0, 500)));
  page.on('console', (m) => {
    if (m.type() === 'error' && m.text().includes('panicked')) console.log('PANIC', m.text().replace(/\n/g, ' | ').slice(0, 3000));
  });
  await page.goto(`${base}/login`);
  await page.locator('body[data-hydrated]').waitFor();
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(/\/dialogs/);
  await page.locator('body[data-hydrated]').waitFor();
}

// A client on the demo's Telegram channel, played by `dialogs fake-client`: its messages
// reach the app as real Telegram webhooks, the operator's replies reach it through the Bot
// API protocol. Needs DIALOGS_E2E_DATABASE_URL and DIALOGS_BIN (set by .ci/e2e).

export const DATABASE_URL = process.env.DIALOGS_E2E_DATABASE_URL ?? '';
export const BIN = process.env.DIALOGS_BIN ?? '../target/release/dialogs';

/** The fake client process, with a way to wait for what it prints. */
export class FakeClient {
  readonly lines: string[] = [];
  private waiters: Array<() => void> = [];
  constructor(readonly process: ChildProcessWithoutNullStreams) {
    readline.createInterface({ input: process.stdout }).on('line', (line) => {
      this.lines.push(line);
      this.waiters.splice(0).forEach((w) => w());
    });
  }
  static start(baseURL: string, chat: number, name: string): FakeClient {
    const child = spawn(BIN, ['fake-client', '--app', baseURL, '--chat', String(chat), '--name', name], {
      env: { ...process.env, DATABASE_URL, DIALOGS_LOG: 'warn' },
    });
    return new FakeClient(child);
  }
  write(text: string) {
    this.process.stdin.write(`${text}\n`);
  }
  async waitFor(predicate: (line: string) => boolean, ms = 15_000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.lines.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`fake-client never printed it; it printed: ${this.lines.join(' | ')}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }
  async stop() {
    this.process.stdin.end();
    await new Promise((resolve) => this.process.once('exit', resolve));
  }
}
