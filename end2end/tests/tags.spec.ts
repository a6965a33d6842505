// Tags (F1): made inline in the chat header with a colour from the palette, found by the
// filter panel, taken off again (the filtered list loses the row), put on the client from the
// keyboard; the settings screen renames, recolours and deletes them; light, dark and phone.
import { test, expect, Page } from '@playwright/test';
import { signIn, SHOTS, FakeClient, DATABASE_URL } from './support';

function picker(page: Page) {
  return page.locator('.dlg-tag-picker[role=dialog]');
}

async function openPicker(page: Page) {
  await page.click('button.dlg-tags__add');
  await expect(picker(page)).toBeVisible();
  await expect(picker(page).locator('input[role=combobox]')).toBeFocused();
}

test('a tag made inline shows as a chip, filters the list, comes off, and a client tag is put by keyboard', async ({ browser, baseURL }) => {
  test.skip(!DATABASE_URL, 'DIALOGS_E2E_DATABASE_URL is not set');
  const context = await browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, 'admin@demo.test');
  await page.goto('/dialogs?section=all');
  await page.locator('body[data-hydrated]').waitFor();

  // A client of our own, so the dialog starts without tags.
  const chat = 700_000 + Math.floor(Math.random() * 90_000);
  const name = `Tag Client ${chat}`;
  const tagName = `Callback ${chat}`;
  const client = FakeClient.start(baseURL!, chat, name);
  try {
    await client.waitFor((l) => l.startsWith('Playing'));
    client.write('Please call me back tomorrow');
    await client.waitFor((l) => l === '→ sent');
    const row = page.locator('a.dlg-row', { hasText: name }).first();
    await expect(row).toBeVisible({ timeout: 10_000 });
    await row.click();
    await page.waitForURL(/\/dialogs\/\d+/);
    const dialogUrl = new URL(page.url()).pathname;
    await expect(page.locator('.dlg-chat__title')).toHaveText(name);
    await expect(page.locator('.dlg-tags .dlg-tag')).toHaveCount(0);

    // "+ Tag": typing a new name offers "Create «name»" with the palette; green is picked.
    await openPicker(page);
    await picker(page).locator('input').fill(tagName);
    const create = picker(page).locator('li[data-create]');
    await expect(create).toHaveText(`Create «${tagName}»`);
    await expect(create).toHaveAttribute('aria-selected', 'true');
    await expect(picker(page).locator('.dlg-swatch')).toHaveCount(10);
    await picker(page).locator('.dlg-swatch[data-color="#30a46c"]').click();
    await expect(picker(page).locator('.dlg-swatch[data-color="#30a46c"]')).toHaveAttribute('aria-checked', 'true');
    await expect(picker(page).locator('input')).toBeFocused();
    await page.screenshot({ path: `${SHOTS}/tags-picker-light.png` });
    await page.keyboard.press('Enter');
    await expect(picker(page)).toHaveCount(0);
    const chip = page.locator('.dlg-tags .dlg-tag[data-target=dialog]', { hasText: tagName });
    await expect(chip).toBeVisible();
    await expect(page.locator('button.dlg-tags__add')).toBeFocused();
    // Polled: the header is drawn again when the live event of this change arrives.
    await expect
      .poll(() => chip.locator('.dlg-tag-dot').evaluate((e) => getComputedStyle(e).backgroundColor))
      .toBe('rgb(48, 164, 108)');
    const tagId = await chip.getAttribute('data-tag');
    expect(tagId).toMatch(/^\d+$/);
    await page.screenshot({ path: `${SHOTS}/tags-light.png` });

    // The filter panel lists the new tag; choosing it leaves this dialog alone in the list.
    await page.reload();
    await page.locator('body[data-hydrated]').waitFor();
    await page.click('button.dlg-fchip[data-filter=more]');
    const box = page.locator(`.dlg-filter-panel input[data-tag="${tagId}"]`);
    await expect(box).toBeVisible();
    await box.check();
    await expect(page).toHaveURL(new RegExp(`tag=${tagId}`));
    await expect(page.locator('a.dlg-row')).toHaveCount(1);
    await expect(page.locator('a.dlg-row').first()).toContainText(name);

    // Taken off with its ×: the chip goes, and the filtered list loses the row.
    const filtered = page.url();
    expect(new URL(filtered).pathname).toBe(dialogUrl);
    await page.locator('.dlg-tags .dlg-tag[data-target=dialog]', { hasText: tagName }).getByRole('button').click();
    await expect(page.locator('.dlg-tags .dlg-tag')).toHaveCount(0);
    await expect(page.locator('a.dlg-row', { hasText: name })).toHaveCount(0);

    // The client gets an existing demo tag, from the keyboard: type, arrows, Enter.
    await page.click('a.dlg-fchip[data-filter=reset]');
    await expect(page.locator('a.dlg-row', { hasText: name }).first()).toBeVisible();
    await openPicker(page);
    await picker(page).locator('button[data-target=client]').click();
    await expect(picker(page).locator('button[data-target=client]')).toHaveAttribute('aria-pressed', 'true');
    await picker(page).locator('input').fill('vi');
    const items = picker(page).locator('li[role=option]');
    // The demo's "VIP", then the offer to make a tag named "vi".
    await expect(items).toHaveCount(2);
    await expect(items.first()).toHaveText('VIP');
    await expect(items.last()).toHaveAttribute('data-create', '');
    await page.keyboard.press('ArrowDown');
    await expect(items.last()).toHaveAttribute('aria-selected', 'true');
    await page.keyboard.press('ArrowUp');
    await expect(items.first()).toHaveAttribute('aria-selected', 'true');
    await page.keyboard.press('Enter');
    const clientChip = page.locator('.dlg-tags .dlg-tag--client', { hasText: 'VIP' });
    await expect(clientChip).toBeVisible();
    await expect(clientChip).toHaveAttribute('data-target', 'client');
    await expect(clientChip.locator('svg.dlg-tag__person')).toHaveCount(1);

    // Escape closes the picker and gives the focus back.
    await openPicker(page);
    await page.keyboard.press('Escape');
    await expect(picker(page)).toHaveCount(0);
    await expect(page.locator('button.dlg-tags__add')).toBeFocused();

    // Dark theme, picker open on the client's tags.
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
    await openPicker(page);
    await picker(page).locator('input').fill('Callback');
    await expect(picker(page).locator('li[role=option]').first()).toBeVisible();
    await page.screenshot({ path: `${SHOTS}/tags-dark.png` });
    await page.keyboard.press('Escape');

    // Phone width: the header wraps, the tags stay inside the screen, the picker too.
    await page.setViewportSize({ width: 390, height: 844 });
    await expect(page.locator('.dlg-tags')).toBeVisible();
    const tags = await page.locator('.dlg-tags').boundingBox();
    expect(tags).not.toBeNull();
    expect(tags!.x + tags!.width).toBeLessThanOrEqual(390);
    await openPicker(page);
    const pop = await picker(page).boundingBox();
    expect(pop).not.toBeNull();
    expect(pop!.x).toBeGreaterThanOrEqual(0);
    expect(pop!.x + pop!.width).toBeLessThanOrEqual(390);
    await page.screenshot({ path: `${SHOTS}/tags-phone.png` });
    await page.keyboard.press('Escape');

    // The client tag comes off too, so the demo client is left as it was.
    await clientChip.getByRole('button').click();
    await expect(page.locator('.dlg-tags .dlg-tag')).toHaveCount(0);
  } finally {
    await client.stop();
    await context.close();
  }
});

test('an admin renames, recolours and deletes a tag in the settings', async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, 'admin@demo.test');
  await page.goto('/settings');
  await page.locator('body[data-hydrated]').waitFor();
  const section = page.locator('section.dlg-tagset');
  await expect(section.locator('li[data-tag]').first()).toBeVisible();

  const name = `Settings tag ${Date.now() % 100000}`;
  await section.locator('input[name=tag_name]').fill(name);
  await section.locator('form .dlg-swatch[data-color="#d6409f"]').click();
  await section.locator('form button[type=submit]').click();
  await expect(section.locator('.dlg-tagset__outcome')).toHaveText('Saved.');
  const id = await section.locator('li[data-tag]').evaluateAll(
    (els, n) => els.find((e) => (e.querySelector('input.dlg-input') as HTMLInputElement | null)?.value === n)?.getAttribute('data-tag') ?? null,
    name,
  );
  expect(id).toMatch(/^\d+$/);
  await expect(section.locator(`li[data-tag="${id}"] .dlg-swatch[data-color="#d6409f"]`)).toHaveAttribute('aria-checked', 'true');

  // The same name again (another case) is not a second tag.
  await section.locator('input[name=tag_name]').fill(name.toUpperCase());
  await section.locator('form button[type=submit]').click();
  await expect(section.locator('.dlg-tagset__outcome')).toHaveText('A tag with this name exists already.');

  // Rename (on change), then recolour.
  const mine = section.locator(`li[data-tag="${id}"]`);
  await mine.locator('input.dlg-input').fill(`${name} renamed`);
  await mine.locator('input.dlg-input').press('Enter');
  await expect(section.locator('.dlg-tagset__outcome')).toHaveText('Saved.');
  await expect(section.locator(`li[data-tag="${id}"] input.dlg-input`)).toHaveValue(`${name} renamed`);
  await section.locator(`li[data-tag="${id}"] .dlg-swatch[data-color="#0090ff"]`).click();
  await expect(section.locator(`li[data-tag="${id}"] .dlg-swatch[data-color="#0090ff"]`)).toHaveAttribute('aria-checked', 'true');
  await page.screenshot({ path: `${SHOTS}/tags-settings-light.png`, fullPage: true });

  // Delete asks first; Cancel keeps it, Delete removes it.
  await section.locator(`li[data-tag="${id}"] button[data-action=delete]`).click();
  await expect(section.locator(`li[data-tag="${id}"] .dlg-tagset__confirm`)).toContainText('Every dialog and client carrying it loses it');
  await section.locator(`li[data-tag="${id}"]`).getByRole('button', { name: 'Cancel' }).click();
  await expect(section.locator(`li[data-tag="${id}"] button[data-action=delete]`)).toBeVisible();
  await section.locator(`li[data-tag="${id}"] button[data-action=delete]`).click();
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
  await section.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/tags-settings-dark.png` });
  await section.locator(`li[data-tag="${id}"] button[data-action=confirm-delete]`).click();
  await expect(section.locator(`li[data-tag="${id}"]`)).toHaveCount(0);
  await expect(section.locator('.dlg-tagset__outcome')).toHaveText('Tag deleted.');

  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await section.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/tags-settings-phone.png` });
  await context.close();
});
