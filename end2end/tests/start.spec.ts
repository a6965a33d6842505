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

test('a template with a picture header and a Track button asks for their values', async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'dark', viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await signIn(page, 'admin@demo.test');
  await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
  const form = await openForm(page);
  await chooseChannel(page, 'Support', 'WhatsApp');
  await form.locator('input[name=recipient]').fill(`+7 916 ${100 + (Date.now() % 800)}-11-22`);
  const template = form.locator('select[name=template]');
  // A template that needs what cannot be sent from here is listed, greyed out.
  await expect(template.locator('option', { hasText: 'our_store' })).toBeDisabled();
  await template.selectOption({ label: 'delivery_update (en_US)' });
  await form.locator('input[name=variable1]').fill('A-1042');
  await form.locator('input[name=variable2]').fill('Friday');
  await form.locator('input[name=variable3]').fill('10 and 12');
  await expect(form.getByText('Button “Track”: https://track.example/{{1}}')).toBeVisible();
  await form.locator('input[name=template_button1]').fill('A-1042');
  // No picture link yet: the form says so next to the field and keeps every value.
  await form.getByRole('button', { name: 'Start dialog' }).click();
  await expect(form.getByRole('alert')).toContainText('Fill in the template');
  await expect(form.locator('input[name=variable3]')).toHaveValue('10 and 12');
  await form.locator('input[name=template_header]').fill('http://cdn.example/parcel.jpg');
  await form.getByRole('button', { name: 'Start dialog' }).click();
  await expect(form.getByRole('alert')).toContainText('https://');
  await form.locator('input[name=template_header]').fill('https://cdn.example/parcel.jpg');
  await expect(form.locator('.dlg-template__preview')).toContainText('Your parcel A-1042 arrives on Friday between 10 and 12.');
  await page.screenshot({ path: `${SHOTS}/start-template-parts-phone-dark.png` });
  await form.getByRole('button', { name: 'Start dialog' }).click();
  await page.waitForURL(/\/dialogs\/\d+/);
  await expect(page.locator('.dlg-msg').last()).toContainText('https://cdn.example/parcel.jpg');
  await expect(page.locator('.dlg-msg').last()).toContainText('Your parcel A-1042 arrives on Friday between 10 and 12.');
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
