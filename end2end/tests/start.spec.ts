import { test, expect, Page } from '@playwright/test';
import { signIn, SHOTS } from './support';


async function openForm(page: Page) {
  await page.getByRole('button', { name: 'New dialog' }).click();
  const form = page.getByRole('dialog');
  await expect(form.locator('select[name=line_id]')).toBeVisible();
  return form;
}

async function chooseChannel(page: Page, line: string, kind: string) {
  const form = page.getByRole('dialog');
  await form.locator('select[name=line_id]').selectOption({ label: line });
  const option = form.locator('select[name=channel_id] option', { hasText: kind });
  await form.locator('select[name=channel_id]').selectOption(await option.first().getAttribute('value') ?? '');
}

test('an operator starts a WhatsApp dialog with a template and lands in it', async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, 'admin@demo.test');
  const form = await openForm(page);
  await chooseChannel(page, 'Support', 'WhatsApp');
  await expect(form.getByText("Client's phone number")).toBeVisible();
  const phone = `+7 916 ${100 + (Date.now() % 800)}-45-67`;
  await form.locator('input[name=recipient]').fill(phone);
  const template = form.locator('select[name=template]');
  await template.selectOption({ label: 'order_ready (en_US)' });
  // Free text gives way to the template's variables and a live preview.
  await expect(form.locator('textarea[name=text]')).toHaveCount(0);
  await form.locator('input[name=variable1]').fill('Anna');
  await form.locator('input[name=variable2]').fill('#1042');
  await expect(form.locator('.dlg-template__preview')).toContainText('Hi Anna, your order #1042 is ready for pickup.');
  await page.screenshot({ path: `${SHOTS}/start-whatsapp-light.png` });

  await form.getByRole('button', { name: 'Start dialog' }).click();
  await page.waitForURL(/\/dialogs\/\d+/);
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(page.locator('.dlg-msg').last()).toContainText('Hi Anna, your order #1042 is ready for pickup.');
  // The open WhatsApp dialog offers templates in its "#" bar.
  await page.getByRole('button', { name: '# Template' }).click();
  await page.locator('.dlg-template__form select[name=template]').selectOption({ label: 'welcome_back (ru)' });
  await page.locator('.dlg-template__form input[name=variable1]').fill('Анна');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
  await page.screenshot({ path: `${SHOTS}/start-template-bar-dark.png` });
  await page.getByRole('button', { name: 'Send template' }).click();
  await expect(page.locator('.dlg-msg').last()).toContainText('Здравствуйте, Анна!');
  await expect(page.locator('.dlg-template__form')).toHaveCount(0);
  await context.close();
});

test('the form says what is wrong next to the field and keeps what was typed', async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'light', viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await signIn(page, 'admin@demo.test');
  const form = await openForm(page);
  await chooseChannel(page, 'Support', 'Email');
  await form.locator('input[name=recipient]').fill('client@example.com');
  await form.locator('textarea[name=text]').fill('Your refund is on its way.');
  await form.getByRole('button', { name: 'Start dialog' }).click();
  await expect(form.locator('.dlg-field__error')).toHaveText('Enter a subject.');
  await expect(form.locator('input[name=subject]')).toHaveAttribute('aria-invalid', 'true');
  await expect(form.locator('textarea[name=text]')).toHaveValue('Your refund is on its way.');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: `${SHOTS}/start-email-phone.png` });

  // A Telegram bot cannot write first to someone who never wrote to it.
  await chooseChannel(page, 'Sales', 'Telegram');
  await form.locator('input[name=recipient]').fill('@nobody_here_yet');
  await form.locator('textarea[name=text]').fill('Hello');
  await form.getByRole('button', { name: 'Start dialog' }).click();
  await expect(form.locator('.dlg-field__error')).toContainText('a bot can only answer people who wrote first');
  // Escape closes the form.
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await context.close();
});
