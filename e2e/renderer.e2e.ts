// The renderer in Chromium. The renderer is built fresh (vite) into a temporary directory
// and served by the real shell server (host/src/shell). Two ways to drive it:
//  - in-page fixture: renderer/test/fixture-bridge.ts is bundled and injected as
//    window.deskline (the role of the Electron preload); window.__deskFixture drives the
//    in-memory desk (ring a call, take a CTI node down, refuse the next action...);
//  - browser shell: a fixture desk in this Node process behind the shell server's
//    WebSocket, reached through the URL with its token, exactly as `npm run shell` does.
// No sleeps: every wait is on something visible. Any console error (a CSP violation among
// them) fails the test. Screenshots of the main screens go to test-results/screenshots/.
// Accessibility of every screen and state is e2e/a11y.e2e.ts.
import type { Locator, Page } from '@playwright/test';
import { join } from 'node:path';
import { startShellServer, type ShellServer } from '../host/src/shell/shell-server.js';
import { createFixtureDesk, type FixtureDesk, type FixtureScenario } from '../renderer/test/fixture-desk.js';
import {
  buildRenderer,
  callsOf,
  connectedCall,
  disposeRenderer,
  expect,
  openFixture as open,
  ringIn,
  SCREENSHOTS,
  setTheme,
  test,
  type RendererBuild,
} from './support/fixture-page.js';

let build: RendererBuild | undefined;

test.use({ viewport: { width: 400, height: 760 } });

test.beforeAll(async () => {
  build = await buildRenderer();
});

test.afterAll(async () => {
  await disposeRenderer(build);
});

// ---------------------------------------------------------------- helpers

const openFixture = (page: Page, scenario: FixtureScenario = 'demo'): Promise<void> =>
  open(page, build, scenario);

const nav = (page: Page) => page.getByRole('navigation', { name: 'Screens' });
/** A tab, by its label (a count may follow: "History, 1 missed"). */
const tab = (page: Page, screen: string): Locator =>
  nav(page).getByRole('button', { name: new RegExp(`^${screen}(,|$)`) });
const goTo = (page: Page, screen: string) => tab(page, screen).click();
const callCard = (page: Page, name: string) => page.getByRole('article', { name: `Call with ${name}` });
/** A notice in the notices log (docs/ui.md §1), by its text. */
const notice = (page: Page, text: string | RegExp): Locator =>
  page.getByRole('log', { name: 'Notices' }).locator('.notice').filter({ hasText: text });
/** A key of a keypad, named by what it shows ("2 ABC"). */
const key = (pad: Locator, digit: string): Locator =>
  pad.getByRole('button', { name: new RegExp(`^${digit.replace(/[*#]/, '\\$&')}( |$)`) });

/** Full page, except where a sticky bar would be drawn mid-page by a full-page capture. */
const shot = (page: Page, name: string, fullPage = !name.startsWith('settings')) =>
  page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });

// ---------------------------------------------------------------- screens and themes

for (const theme of ['light', 'dark'] as const) {
  test(`every screen renders in the ${theme} theme (screenshots)`, async ({ page, consoleErrors: _ }) => {
    await openFixture(page);
    await setTheme(page, theme);
    await connectedCall(page, '2002');
    await ringIn(page, '+14085550111', 'Bob Martin');
    await expect(page.getByRole('region', { name: 'Incoming call from Bob Martin' })).toBeVisible();
    await expect(callCard(page, '2002')).toHaveAttribute('data-state', 'connected');
    // No inline style attributes: the CSP's style-src 'self' would block them. Checked
    // before any screenshot (Playwright hides the caret by styling inputs).
    await expect(page.locator('[style]')).toHaveCount(0);
    await shot(page, `calls-${theme}`);

    const screens: Array<[string, string]> = [
      ['Dial', 'dial'],
      ['Lines', 'lines'],
      ['History', 'history'],
      ['Health', 'health'],
      ['Settings', 'settings'],
    ];
    for (const [label, file] of screens) {
      await goTo(page, label);
      await expect(page.getByRole('heading', { level: 1, name: label })).toBeVisible();
      await expect(tab(page, label)).toHaveAttribute('aria-current', 'page');
      await shot(page, `${file}-${theme}`);
    }

    // The consultation view, and the health alert.
    await page
      .getByRole('region', { name: 'Incoming call from Bob Martin' })
      .getByRole('button', { name: 'Decline' })
      .click();
    await goTo(page, 'Calls');
    await page.evaluate(async () => {
      const desk = window.__deskFixture;
      const call = desk?.state().calls[0];
      if (desk === undefined || call === undefined) throw new Error('no call');
      await desk.handlers['desk.consult']({ callId: call.callId, to: '3003' });
    });
    await expect(page.getByRole('article', { name: /^Consultation with 3003/ })).toBeVisible();
    await shot(page, `consultation-${theme}`);
    await page.evaluate(() => window.__deskFixture?.setNodeState(1, 'down', 'Connection refused'));
    await goTo(page, 'Health');
    await expect(page.getByRole('alert')).toContainText('CTI link degraded');
    await shot(page, `health-degraded-${theme}`);
  });
}

test('the system theme follows prefers-color-scheme', async ({ page, consoleErrors: _ }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await openFixture(page);
  await setTheme(page, 'system');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
});

// ---------------------------------------------------------------- calls

test('call actions follow the engine: enabled ones act, disabled ones say why', async ({
  page,
  consoleErrors: _,
}) => {
  await openFixture(page);
  await page.evaluate(() => window.__deskFixture?.handlers['desk.makeCall']({ number: '2002' }));
  const card = callCard(page, '2002');
  await expect(card).toHaveAttribute('data-state', 'alerting');
  const hold = card.getByRole('button', { name: 'Hold' });
  await expect(hold).toBeDisabled();
  await expect(hold).toHaveAccessibleDescription('The call is not connected');
  await expect(card.getByRole('button', { name: 'Transfer', exact: true })).toHaveAccessibleDescription(
    'Only a connected call can be transferred',
  );
  await expect(card.getByRole('button', { name: 'Hang up' })).toBeEnabled();
  // A disabled action sends nothing (force: Playwright would otherwise wait for it to enable).
  await hold.click({ force: true });
  expect(await callsOf(page, 'desk.hold')).toEqual([]);

  await page.evaluate(() => window.__deskFixture?.farEndAnswers());
  await expect(card).toHaveAttribute('data-state', 'connected');
  await expect(hold).toBeEnabled();
  await expect(card.getByRole('button', { name: 'Keypad' })).toBeEnabled();
  await hold.click();
  await expect(card).toHaveAttribute('data-state', 'held');
  const resume = card.getByRole('button', { name: 'Resume' });
  await expect(resume).toBeEnabled();
  await expect(card.getByRole('button', { name: 'Transfer', exact: true })).toBeDisabled();
  await resume.click();
  await expect(card).toHaveAttribute('data-state', 'connected');
  expect(await callsOf(page, 'desk.hold')).toHaveLength(1);
  expect(await callsOf(page, 'desk.retrieve')).toHaveLength(1);

  await card.getByRole('button', { name: 'Hang up' }).click();
  await expect(card).toHaveCount(0);
  await expect(page.getByText('No calls.')).toBeVisible();
  // The card that had focus is gone: focus is on the screen's heading, not the page body.
  await expect(page.getByRole('heading', { level: 1, name: 'Calls' })).toBeFocused();
});

test('a disabled action says why next to it: on focus, and when pressed', async ({
  page,
  consoleErrors: _,
}) => {
  await openFixture(page);
  await page.evaluate(() => window.__deskFixture?.handlers['desk.makeCall']({ number: '2002' }));
  const card = callCard(page, '2002');
  const hold = card.getByRole('button', { name: 'Hold' });
  await hold.focus();
  await expect(card.locator('.why[aria-hidden="true"]')).toHaveText('Hold: The call is not connected');
  await hold.press('Enter');
  // Pressed: written in the group's live region (role=status), so it is also announced.
  await expect(card.getByRole('status')).toHaveText('Hold: The call is not connected');
  expect(await callsOf(page, 'desk.hold')).toEqual([]);
});

test('a refused action shows the engine’s reason, in plain words, in the notice area', async ({
  page,
  consoleErrors: _,
}) => {
  await openFixture(page);
  await connectedCall(page, '2002');
  // A reason written for people is shown as the engine sent it.
  await page.evaluate(() =>
    window.__deskFixture?.failNext('desk.hold', 'INVALID_STATE', 'the call is being transferred'),
  );
  await callCard(page, '2002').getByRole('button', { name: 'Hold' }).click();
  const plain = notice(page, 'the call is being transferred');
  await expect(plain).toHaveAttribute('data-level', 'error');
  await expect(plain.locator('.notice-text')).toHaveText('Error: Cannot hold: the call is being transferred');

  // Jargon (a CTI address, a socket error) is replaced by what the code means; the original
  // stays in the tooltip.
  await page.evaluate(() =>
    window.__deskFixture?.failNext(
      'desk.hold',
      'CTI_NOT_CONNECTED',
      'CTI Manager cucm-pub.example.com:2748 is not connected: connect ECONNREFUSED 10.1.1.10:2748',
    ),
  );
  await callCard(page, '2002').getByRole('button', { name: 'Hold' }).click();
  const refused = notice(page, 'Cannot hold: the link to the phone system is down');
  await expect(refused).toBeVisible();
  await expect(refused).toHaveAttribute('data-code', 'CTI_NOT_CONNECTED');
  await expect(refused).not.toContainText('ECONNREFUSED');
  await expect(refused.locator('.notice-text')).toHaveAttribute('title', /ECONNREFUSED 10\.1\.1\.10:2748/);
  await expect(callCard(page, '2002')).toHaveAttribute('data-state', 'connected');
  // Dismissing a notice moves focus to the next one, then to the heading.
  await refused.getByRole('button', { name: 'Dismiss notice' }).click();
  await expect(refused).toHaveCount(0);
  await expect(plain.getByRole('button', { name: 'Dismiss notice' })).toBeFocused();
  await plain.getByRole('button', { name: 'Dismiss notice' }).press('Enter');
  await expect(plain).toHaveCount(0);
  await expect(page.getByRole('heading', { level: 1, name: 'Calls' })).toBeFocused();
});

test('while the link to the phone system is down, calls say so and their actions say why not', async ({
  page,
  consoleErrors: _,
}) => {
  await openFixture(page);
  await connectedCall(page, '2002');
  const card = callCard(page, '2002');
  await expect(card.getByRole('button', { name: 'Hold' })).toBeEnabled();
  await page.evaluate(() => {
    window.__deskFixture?.setNodeState(0, 'down', 'Heartbeat timeout');
    window.__deskFixture?.setNodeState(1, 'down', 'connect ECONNREFUSED 10.1.1.11:2748');
  });
  const why =
    'The link to the phone system is down: calls go on, but cannot be controlled from here until it is back';
  await expect(card).toContainText(why);
  for (const name of ['Hold', 'Transfer', 'Keypad', 'Hang up']) {
    const button = card.getByRole('button', { name, exact: true });
    await expect(button).toBeDisabled();
    await expect(button).toHaveAccessibleDescription(why);
  }
  await expect(page.getByRole('switch', { name: 'Do not disturb' })).toBeDisabled();
  await page.keyboard.press('Alt+KeyH');
  await expect(notice(page, `Hold: ${why}`)).toBeVisible();
  expect(await callsOf(page, 'desk.hold')).toEqual([]);
  await shot(page, 'calls-link-down');

  await page.evaluate(() => {
    window.__deskFixture?.setNodeState(0, 'up');
    window.__deskFixture?.setNodeState(1, 'up');
  });
  await expect(card).not.toContainText(why);
  await expect(card.getByRole('button', { name: 'Hold' })).toBeEnabled();
});

test('an incoming call rings on every screen; Alt+A answers, Decline and Deflect work', async ({
  page,
  consoleErrors: _,
}) => {
  await openFixture(page);
  await goTo(page, 'History');
  await ringIn(page, '+14085550111', 'Bob Martin');
  const ringing = page.getByRole('region', { name: 'Incoming call from Bob Martin' });
  await expect(ringing).toBeVisible();
  // A person's number, with the E.164 form in the tooltip.
  await expect(ringing).toContainText('+1 408 555 0111');
  await expect(ringing.getByText('+1 408 555 0111')).toHaveAttribute('title', 'E.164: +14085550111');
  // Ringing with no other call: no "No calls" under it.
  await goTo(page, 'Calls');
  await expect(page.getByText('No calls.')).toHaveCount(0);
  await goTo(page, 'History');
  await page.keyboard.press('Alt+KeyA');
  await expect(ringing).toHaveCount(0);
  expect(await callsOf(page, 'desk.answer')).toHaveLength(1);
  // Answering opens Calls with focus on the answered call.
  await expect(tab(page, 'Calls')).toHaveAttribute('aria-current', 'page');
  await expect(callCard(page, 'Bob Martin')).toHaveAttribute('data-state', 'connected');
  await expect(callCard(page, 'Bob Martin')).toBeFocused();

  await ringIn(page, '2002', 'Carol Diaz');
  const second = page.getByRole('region', { name: 'Incoming call from Carol Diaz' });
  await second.getByRole('button', { name: 'Decline' }).click();
  await expect(second).toHaveCount(0);
  expect((await callsOf(page, 'desk.hangup')).length).toBe(1);

  await ringIn(page, '3003');
  const third = page.getByRole('region', { name: 'Incoming call from 3003' });
  // "Send to…", not the CSTA service's name (DeflectCall).
  await expect(third.getByRole('button', { name: 'Deflect' })).toHaveCount(0);
  await third.getByRole('button', { name: 'Send to…' }).click();
  const to = third.getByRole('textbox', { name: 'Send to' });
  await expect(to).toBeFocused();
  await to.fill('4000');
  await expect(third.getByText('Dials 4000')).toBeVisible();
  await to.press('Enter');
  await expect(third).toHaveCount(0);
  expect(await callsOf(page, 'desk.deflect')).toEqual([{ callId: expect.any(String), to: '4000' }]);
  await expect(notice(page, 'Sent the call from 3003 to 4000.')).toHaveAttribute('data-level', 'info');
  // The ringing card had focus: it went to the heading, not the page body.
  await expect(page.getByRole('heading', { level: 1, name: 'Calls' })).toBeFocused();
});

test('transfer: single step, consult then complete, conference, alternate and reconnect', async ({
  page,
  consoleErrors: _,
}) => {
  await openFixture(page);
  await connectedCall(page, '2002');
  const card = callCard(page, '2002');

  // Escape closes the panel and gives focus back to its button.
  await card.getByRole('button', { name: 'Transfer', exact: true }).click();
  await card.getByRole('textbox', { name: 'Transfer to' }).press('Escape');
  await expect(card.getByRole('textbox', { name: 'Transfer to' })).toHaveCount(0);
  await expect(card.getByRole('button', { name: 'Transfer', exact: true })).toBeFocused();

  // Single-step transfer: Enter in the panel transfers at once.
  await card.getByRole('button', { name: 'Transfer', exact: true }).click();
  await expect(card.getByRole('button', { name: 'Transfer', exact: true })).toHaveAttribute(
    'aria-expanded',
    'true',
  );
  const to = card.getByRole('textbox', { name: 'Transfer to' });
  await expect(to).toBeFocused();
  await to.fill('3003');
  await to.press('Enter');
  await expect(card).toHaveCount(0);
  expect(await callsOf(page, 'desk.singleStepTransfer')).toEqual([
    { callId: expect.any(String), to: '3003' },
  ]);
  // The transfer is confirmed, and focus lands on the heading (no other call is left).
  await expect(notice(page, 'Transferred 2002 to 3003.')).toHaveAttribute('data-level', 'info');
  await expect(page.getByRole('heading', { level: 1, name: 'Calls' })).toBeFocused();

  // Consult, alternate, reconnect.
  await connectedCall(page, '2002');
  await callCard(page, '2002').getByRole('button', { name: 'Transfer', exact: true }).click();
  await callCard(page, '2002').getByRole('textbox', { name: 'Transfer to' }).fill('3003');
  await callCard(page, '2002').getByRole('button', { name: 'Consult first' }).click();
  const pair = page.getByRole('article', { name: 'Consultation with 3003, 2002 waiting' });
  await expect(pair).toBeVisible();
  // Consult first leaves focus on the consultation.
  await expect(pair).toBeFocused();
  for (const name of ['Complete transfer', 'Conference', 'Swap', 'Back to 2002'])
    await expect(pair.getByRole('button', { name })).toBeEnabled();
  const rows = pair.locator('.pair-row');
  await expect(rows.nth(0)).toHaveAttribute('data-state', 'held');
  await expect(rows.nth(0)).toContainText('2002');
  await pair.getByRole('button', { name: 'Swap' }).click();
  await expect(rows.nth(0)).toContainText('3003');
  await expect(rows.nth(0)).toHaveAttribute('data-state', 'held');
  // After a swap, "Back to" names the call now on hold.
  await expect(pair.getByRole('button', { name: 'Back to 3003' })).toBeEnabled();
  await expect(pair.getByRole('button', { name: 'Swap' })).toBeFocused();
  const alternate = (await callsOf(page, 'desk.alternate'))[0] as {
    heldCallId: string;
    activeCallId: string;
  };
  expect(alternate.heldCallId).not.toBe(alternate.activeCallId);
  // Back again, then Reconnect: ECMA-269 ReconnectCall clears the active call (3003) and
  // retrieves the held one (2002).
  await pair.getByRole('button', { name: 'Swap' }).click();
  await expect(rows.nth(0)).toContainText('2002');
  await pair.getByRole('button', { name: 'Back to 2002' }).click();
  await expect(pair).toHaveCount(0);
  await expect(callCard(page, '2002')).toHaveAttribute('data-state', 'connected');
  await expect(callCard(page, '2002')).toBeFocused();
  expect(await callsOf(page, 'desk.reconnect')).toHaveLength(1);

  // Consult, then complete the transfer.
  await callCard(page, '2002').getByRole('button', { name: 'Transfer', exact: true }).click();
  await callCard(page, '2002').getByRole('textbox', { name: 'Transfer to' }).fill('4000');
  await callCard(page, '2002').getByRole('button', { name: 'Consult first' }).click();
  const second = page.getByRole('article', { name: 'Consultation with 4000, 2002 waiting' });
  await second.getByRole('button', { name: 'Complete transfer' }).click();
  await expect(second).toHaveCount(0);
  expect(await callsOf(page, 'desk.transfer')).toHaveLength(1);
  await expect(notice(page, 'Transferred: 2002 and 4000 are now talking to each other.')).toBeVisible();
  await expect(page.getByRole('heading', { level: 1, name: 'Calls' })).toBeFocused();

  // Consult, then conference: one call with both parties.
  await connectedCall(page, '2002');
  await callCard(page, '2002').getByRole('button', { name: 'Transfer', exact: true }).click();
  await callCard(page, '2002').getByRole('textbox', { name: 'Transfer to' }).fill('5005');
  await callCard(page, '2002').getByRole('button', { name: 'Consult first' }).click();
  await page
    .getByRole('article', { name: /^Consultation with 5005/ })
    .getByRole('button', { name: 'Conference' })
    .click();
  const conference = callCard(page, '5005');
  await expect(
    conference.getByRole('list', { name: 'Conference parties' }).getByRole('listitem'),
  ).toHaveCount(2);
  await expect(conference).toBeFocused();
});

test('DTMF keypad sends each key as it is pressed, by click or by keyboard', async ({
  page,
  consoleErrors: _,
}) => {
  await openFixture(page);
  await connectedCall(page, '2002');
  const card = callCard(page, '2002');
  await card.getByRole('button', { name: 'Keypad' }).click();
  const pad = card.getByRole('group', { name: 'Keypad for 2002' });
  await expect(key(pad, '5')).toHaveAccessibleName('5 JKL');
  await key(pad, '5').click();
  await page.keyboard.press('Shift+Digit3'); // "#" while focus is in the keypad
  await page.keyboard.press('1');
  await expect(card.getByText('Sent 5#1')).toBeVisible();
  expect((await callsOf(page, 'desk.digits')).map((r) => (r as { digits: string }).digits)).toEqual([
    '5',
    '#',
    '1',
  ]);
});

test('Do not disturb and forwarding toggles', async ({ page, consoleErrors: _ }) => {
  await openFixture(page);
  const dnd = page.getByRole('switch', { name: 'Do not disturb' });
  await expect(dnd).toHaveAttribute('aria-checked', 'false');
  await dnd.click();
  await expect(dnd).toHaveAttribute('aria-checked', 'true');
  await expect(page.getByRole('banner').getByText('DND')).toBeVisible();
  expect(await callsOf(page, 'desk.setDoNotDisturb')).toEqual([{ on: true }]);

  const forwardAll = page.getByRole('switch', { name: 'Forward all calls' });
  await forwardAll.click();
  await expect(page.getByText('Enter a number to forward to')).toBeVisible();
  expect(await callsOf(page, 'desk.setForwarding')).toEqual([]);
  await page.getByRole('textbox', { name: 'Forward all calls to' }).fill('4000');
  await forwardAll.click();
  await expect(forwardAll).toHaveAttribute('aria-checked', 'true');
  await expect(forwardAll).toHaveAccessibleDescription('To 4000');
  await expect(page.getByRole('banner').getByText('4000')).toBeVisible();
  await forwardAll.click();
  await expect(forwardAll).toHaveAttribute('aria-checked', 'false');
  // Off keeps the number: back on is one click.
  await expect(page.getByRole('textbox', { name: 'Forward all calls to' })).toHaveValue('4000');
  await forwardAll.click();
  await expect(forwardAll).toHaveAttribute('aria-checked', 'true');
  // While on, a new number and Enter move forwarding there.
  await page.getByRole('textbox', { name: 'Forward all calls to' }).fill('+442071234567');
  await page.getByRole('textbox', { name: 'Forward all calls to' }).press('Enter');
  await expect(forwardAll).toHaveAccessibleDescription('To +44 20 7123 4567');
  expect(await callsOf(page, 'desk.setForwarding')).toEqual([
    { type: 'forwardImmediate', on: true, to: '4000' },
    { type: 'forwardImmediate', on: false },
    { type: 'forwardImmediate', on: true, to: '4000' },
    { type: 'forwardImmediate', on: true, to: '+442071234567' },
  ]);
});

// ---------------------------------------------------------------- dial

test('dial: "/" focuses the box, the number is normalised as typed, Enter dials', async ({
  page,
  consoleErrors: _,
}) => {
  await openFixture(page);
  await page.keyboard.press('/');
  const box = page.getByRole('combobox', { name: 'Number or name' });
  await expect(box).toBeFocused();
  await expect(tab(page, 'Dial')).toHaveAttribute('aria-current', 'page');

  await box.pressSequentially('abc');
  await expect(box).toHaveAccessibleDescription('Letters are not part of a phone number');
  await expect(box).toHaveAttribute('aria-invalid', 'true');
  const call = page.getByRole('button', { name: 'Call', exact: true });
  await expect(call).toBeDisabled();
  await expect(call).toHaveAccessibleDescription('Letters are not part of a phone number');
  await box.press('Escape');
  await expect(box).toHaveValue('');

  await box.pressSequentially('+1 (408) 555-0199');
  // What will be dialled, for people: no dial-rule name.
  await expect(box).toHaveAccessibleDescription('Dials +1 408 555 0199');
  await box.press('Enter');
  await expect(tab(page, 'Calls')).toHaveAttribute('aria-current', 'page');
  // Focus moves to the new call's card.
  await expect(callCard(page, '+1 408 555 0199')).toBeFocused();
  expect(await callsOf(page, 'desk.makeCall')).toEqual([{ number: '+14085550199' }]);
});

test('dial: suggestions by name with arrows, the dial pad, favourites and recent numbers', async ({
  page,
  consoleErrors: _,
}) => {
  await openFixture(page);
  await goTo(page, 'Dial');
  const box = page.getByRole('combobox', { name: 'Number or name' });
  await box.fill('serv');
  const list = page.getByRole('listbox', { name: 'Suggestions' });
  await expect(list.getByRole('option')).toHaveCount(1);
  await expect(box).toHaveAttribute('aria-expanded', 'true');
  await box.press('ArrowDown');
  await expect(list.getByRole('option', { name: /Service desk/ })).toHaveAttribute('aria-selected', 'true');
  await box.press('Enter');
  await expect(callCard(page, '4000')).toBeFocused();

  await goTo(page, 'Dial');
  const pad = page.getByRole('group', { name: 'Dial pad' });
  // Each key is named by what it shows.
  await expect(key(pad, '2')).toHaveAccessibleName('2 ABC');
  await expect(key(pad, '0')).toHaveAccessibleName('0 +');
  await expect(key(pad, '1')).toHaveAccessibleName('1');
  for (const digit of ['1', '0', '0', '9']) await key(pad, digit).click();
  await expect(box).toHaveValue('1009');
  await page.getByRole('button', { name: 'Delete last digit' }).click();
  await expect(box).toHaveValue('100');

  // Add to favourites from the dial box.
  await box.fill('7007');
  await page.getByRole('button', { name: 'Add to favourites' }).click();
  const name = page.getByRole('textbox', { name: /Name for/ });
  await expect(name).toBeFocused();
  await name.fill('Lab bench');
  await name.press('Enter');
  await expect(page.getByRole('button', { name: 'Call Lab bench' })).toBeVisible();

  await page.getByRole('button', { name: 'Call Bob Martin' }).click();
  await expect(callCard(page, '+1 408 555 0111')).toBeFocused();
  await goTo(page, 'Dial');
  await page.getByRole('button', { name: 'Call +44 20 7123 4567' }).click();
  await expect(callCard(page, '+44 20 7123 4567')).toBeFocused();
  expect((await callsOf(page, 'desk.makeCall')).map((r) => (r as { number: string }).number)).toEqual([
    '4000',
    '+14085550111',
    '+442071234567',
  ]);
});

test('dial: Redial calls the last number dialled in one click', async ({ page, consoleErrors: _ }) => {
  await openFixture(page);
  await goTo(page, 'Dial');
  const redial = page.getByRole('button', { name: 'Redial' });
  // The demo history's newest outbound call is yesterday's +44 20 7123 4567.
  await expect(redial).toHaveAttribute('title', 'Call +44 20 7123 4567 again');
  await redial.click();
  await expect(callCard(page, '+44 20 7123 4567')).toBeFocused();
  expect(await callsOf(page, 'desk.makeCall')).toEqual([{ number: '+442071234567' }]);
});

test('dial without a chosen line explains why Call is unavailable', async ({ page, consoleErrors: _ }) => {
  await openFixture(page, 'empty');
  await expect(page.getByRole('button', { name: 'No line chosen. Choose a line' })).toBeVisible();
  await page.getByRole('button', { name: 'Choose a line', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Lines' })).toBeFocused();
  await expect(page.getByText('No lines found for you.')).toBeVisible();
  await goTo(page, 'Dial');
  const box = page.getByRole('combobox', { name: 'Number or name' });
  await box.fill('1234');
  await expect(page.getByRole('button', { name: 'Call', exact: true })).toHaveAccessibleDescription(
    'Choose a line to control first',
  );
  // Enter on a Call that cannot be used says why, next to it, and announces it.
  await box.press('Enter');
  await expect(
    page.getByRole('status').filter({ hasText: 'Call: Choose a line to control first' }),
  ).toBeVisible();
  expect(await callsOf(page, 'desk.makeCall')).toEqual([]);
  await expect(box).toBeFocused();
});

// ---------------------------------------------------------------- lines

test('lines: shared marker, reason when not controllable, choosing one selects it', async ({
  page,
  consoleErrors: _,
}) => {
  await openFixture(page);
  // The line chip is named by what it shows (label, number, phone), then what it does.
  const chip = page.getByRole('button', { name: 'Alice · 1001, Desk phone. Change line', exact: true });
  await chip.click();
  const list = page.getByRole('list', { name: 'Your lines' });
  const current = list.getByRole('button', { name: /^Alice · 1001, .*Desk phone · Cisco 8865$/ });
  await expect(current).toHaveAttribute('aria-pressed', 'true');
  const shared = list.getByRole('button', {
    name: 'Sales hunt · 1050, Desk phone · Cisco 8865',
    exact: true,
  });
  // Phones by what their owner calls them: no device names, no partitions on screen.
  await expect(shared).toHaveAccessibleDescription('Shared line: also on 2 other phones');
  await expect(page.getByRole('main')).not.toContainText('SEP00AABBCC');
  await expect(page.getByRole('main')).not.toContainText('INTERNAL');
  const lab = list.getByRole('button', { name: 'Lab · 1001, Lab phone · Cisco 7841', exact: true });
  await expect(lab).toBeDisabled();
  const why = 'Your administrator has not allowed this phone to be controlled from a computer.';
  await expect(lab).toHaveAccessibleDescription(why);
  await expect(page.getByText(why)).toBeVisible();
  // The administrator's detail is in the tooltip.
  await expect(page.getByText(why)).toHaveAttribute('title', /Allow Control of Device from CTI/);
  await lab.click({ force: true });
  expect(await callsOf(page, 'desk.selectLine')).toEqual([]);

  await shared.click();
  await expect(tab(page, 'Calls')).toHaveAttribute('aria-current', 'page');
  await expect(page.getByRole('heading', { level: 1, name: 'Calls' })).toBeFocused();
  await expect(page.getByRole('banner')).toContainText('Sales hunt · 1050');
  expect(await callsOf(page, 'desk.selectLine')).toEqual([{ lineId: 'SEP00AABBCC0101:1050' }]);
});

// ---------------------------------------------------------------- health

test('health: per-node cards, sparkline, a banner when degraded or down, new connection ID after recovery', async ({
  page,
  consoleErrors: _,
}) => {
  await openFixture(page);
  await page.getByRole('button', { name: 'Phone system online. Open Health' }).click();
  const pub = page.getByRole('article', { name: 'CTI Manager cucm-pub.example.com:2748' });
  const sub = page.getByRole('article', { name: 'CTI Manager cucm-sub1.example.com:2748' });
  await expect(pub).toHaveAttribute('data-state', 'up');
  await expect(pub).toContainText('a1f3c9e0-0001');
  await expect(pub).toContainText('2 h 13 min');
  await expect(pub).toContainText('42');
  await expect(
    pub.getByRole('img', { name: /^Heartbeat round-trip time to cucm-pub\.example\.com:2748: 24 samples/ }),
  ).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);

  await page.evaluate(() => window.__deskFixture?.setNodeState(1, 'down', 'Connection refused'));
  await expect(page.getByRole('alert')).toHaveText('CTI link degraded: 1 of 2 CTI Managers up.');
  await expect(sub).toHaveAttribute('data-state', 'down');
  await expect(sub).toContainText('Connection refused');
  await expect(page.getByRole('button', { name: 'Phone system partly online. Open Health' })).toBeVisible();

  await page.evaluate(() => window.__deskFixture?.setNodeState(0, 'down', 'Heartbeat timeout'));
  await expect(page.getByRole('alert')).toHaveText(
    'No CTI Manager is reachable: calls cannot be controlled.',
  );
  await expect(page.getByRole('button', { name: 'Phone system offline. Open Health' })).toBeVisible();

  await page.evaluate(() => {
    window.__deskFixture?.setNodeState(0, 'up');
    window.__deskFixture?.setNodeState(1, 'up');
  });
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(sub).toContainText('reconnected-');
  await expect(page.getByRole('button', { name: 'Phone system online. Open Health' })).toBeVisible();
});

// ---------------------------------------------------------------- settings

test('settings: validation next to the field, write-only password, only changes are sent, theme applies', async ({
  page,
  consoleErrors: _,
}) => {
  await openFixture(page);
  await goTo(page, 'Settings');
  const form = page.getByRole('form', { name: 'Settings' });
  const password = form.getByLabel('Password');
  await expect(password).toHaveValue('');
  await expect(password).toHaveAttribute('placeholder', 'Stored — type to replace');
  const save = form.getByRole('button', { name: 'Save settings' });
  await expect(save).toBeDisabled();

  const heartbeat = form.getByRole('textbox', { name: 'Heartbeat interval (seconds)' });
  await heartbeat.fill('0');
  await form.getByRole('button', { name: 'Add address' }).click();
  await form.getByRole('textbox', { name: 'CTI Manager address 3' }).fill('no port here');
  await save.click();
  await expect(heartbeat).toHaveAttribute('aria-invalid', 'true');
  await expect(heartbeat).toHaveAccessibleDescription('A whole number of seconds, 1 to 300');
  await expect(form.getByRole('textbox', { name: 'CTI Manager address 3' })).toHaveAccessibleDescription(
    'Expected host:port, for example cucm1.example.com:2748',
  );
  expect(await callsOf(page, 'app.updateSettings')).toEqual([]);

  await heartbeat.fill('15');
  await form.getByRole('textbox', { name: 'CTI Manager address 3' }).fill('cucm-sub2.example.com:2748');
  await password.fill('n3w-s3cret');
  await form.getByRole('radio', { name: 'Dark' }).check();
  await save.click();
  await expect(notice(page, 'Settings saved.')).toHaveAttribute('data-level', 'info');
  expect(await callsOf(page, 'app.updateSettings')).toEqual([
    {
      heartbeatIntervalSec: 15,
      ctiAddresses: ['cucm-pub.example.com:2748', 'cucm-sub1.example.com:2748', 'cucm-sub2.example.com:2748'],
      theme: 'dark',
      password: 'n3w-s3cret',
    },
  ]);
  await expect(password).toHaveValue('');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(save).toBeDisabled();

  // A refusal from the host lands next to its field.
  await page.evaluate(() =>
    window.__deskFixture?.failNext(
      'app.updateSettings',
      'INVALID_ARGUMENT',
      'app.updateSettings: userId: no such end user',
    ),
  );
  const userId = form.getByRole('textbox', { name: 'User ID' });
  await userId.fill('nobody');
  await save.click();
  await expect(userId).toHaveAccessibleDescription(/no such end user/);
  // Without the contract's method name and field path.
  await expect(notice(page, 'no such end user').locator('.notice-text')).toHaveText(
    'Error: Cannot save the settings: no such end user',
  );
});

// ---------------------------------------------------------------- history

test('history: by day, missed filter, call back, clear with confirmation', async ({
  page,
  consoleErrors: _,
}) => {
  await openFixture(page);
  // One missed call not seen yet: a badge on the tab, in its name too.
  await expect(tab(page, 'History')).toHaveAccessibleName('History, 1 missed');
  await goTo(page, 'History');
  // Seen: the badge goes.
  await expect(tab(page, 'History')).toHaveAccessibleName('History');
  await expect(page.getByRole('region', { name: 'Today' }).getByRole('listitem')).toHaveCount(2);
  await expect(page.getByRole('region', { name: 'Yesterday' }).getByRole('listitem')).toHaveCount(2);
  await page.getByRole('button', { name: 'Missed' }).click();
  await expect(page.getByRole('listitem')).toHaveCount(1);
  await expect(page.getByRole('listitem')).toContainText('Carol Diaz');
  // Call back dials in one click, and focus is on the new call.
  await page.getByRole('button', { name: 'Call back Carol Diaz' }).click();
  // (The fixture desk names an outbound call by its number.)
  await expect(callCard(page, '2002')).toBeFocused();
  expect(await callsOf(page, 'desk.makeCall')).toEqual([{ number: '2002' }]);
  await expect(tab(page, 'Calls')).toHaveAttribute('aria-current', 'page');

  // A new missed call (the caller gave up) brings the badge back.
  await page.evaluate(() => {
    const desk = window.__deskFixture;
    const call = desk?.ringIn('+33142685300');
    if (call !== undefined) desk?.farEndHangsUp(call.callId);
  });
  await expect(tab(page, 'History')).toHaveAccessibleName('History, 1 missed');
  await expect(tab(page, 'History').locator('.tab-count')).toHaveText('1 missed');
  await expect(tab(page, 'History').locator('.tab-count')).toHaveAttribute('data-tone', 'bad');
  await goTo(page, 'History');
  await expect(tab(page, 'History')).toHaveAccessibleName('History');
  await page.getByRole('button', { name: 'Clear history' }).click();
  await page.getByRole('button', { name: 'Confirm clear' }).click();
  await expect(page.getByText('No calls yet.')).toBeVisible();
  expect(await callsOf(page, 'app.clearHistory')).toHaveLength(1);
});

// ---------------------------------------------------------------- keyboard, notices, navigation

test('keyboard: Alt+1..6, help with "?", Alt+H and Alt+E on the current call', async ({
  page,
  consoleErrors: _,
}) => {
  await openFixture(page);
  const order = ['Calls', 'Dial', 'Lines', 'History', 'Health', 'Settings'];
  for (const [i, name] of order.entries()) {
    await page.keyboard.press(`Alt+Digit${i + 1}`);
    await expect(page.getByRole('heading', { level: 1, name })).toBeFocused();
  }
  await page.keyboard.press('Alt+Digit1');
  await page.keyboard.press('Shift+Slash');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help).toBeVisible();
  await expect(help).toContainText('Answer the ringing call');
  await page.keyboard.press('Escape');
  await expect(help).toBeHidden();

  await connectedCall(page, '2002');
  await page.keyboard.press('Alt+KeyH');
  await expect(callCard(page, '2002')).toHaveAttribute('data-state', 'held');
  await page.keyboard.press('Alt+KeyH');
  await expect(callCard(page, '2002')).toHaveAttribute('data-state', 'connected');
  await page.keyboard.press('Alt+KeyE');
  await expect(callCard(page, '2002')).toHaveCount(0);
  await page.keyboard.press('Alt+KeyA');
  await expect(notice(page, 'No call is ringing.')).toBeVisible();
});

test('keyboard: every control of a call is reachable with Tab, in reading order', async ({
  page,
  consoleErrors: _,
}) => {
  await openFixture(page);
  await connectedCall(page, '2002');
  const names: string[] = [];
  for (let i = 0; i < 14; i += 1) {
    await page.keyboard.press('Tab');
    names.push(
      await page.evaluate(() =>
        (document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent ?? '')
          .replace(/\s+/g, ' ')
          .trim(),
      ),
    );
  }
  const at = (name: string): number => names.findIndex((n) => n === name || n.startsWith(`${name},`));
  expect(at('Alice · 1001')).toBe(0);
  expect(at('Calls')).toBeGreaterThan(at('Phone system online. Open Health'));
  expect(at('Hold')).toBeGreaterThan(at('Settings'));
  expect(at('Transfer')).toBe(at('Hold') + 1);
  expect(at('Keypad')).toBe(at('Hold') + 2);
  expect(at('Hang up')).toBe(at('Hold') + 3);
});

test('app.notice and app.navigate from the host', async ({ page, consoleErrors: _ }) => {
  await openFixture(page);
  await page.evaluate(() =>
    window.__deskFixture?.notice('warning', 'cucm-sub1 is not answering heartbeats', 'CTI_TIMEOUT'),
  );
  const warning = notice(page, 'cucm-sub1 is not answering heartbeats');
  await expect(warning).toBeVisible();
  await expect(warning).toHaveAttribute('data-level', 'warning');
  await page.evaluate(() => window.__deskFixture?.navigate('dial', '+442071234567'));
  const box = page.getByRole('combobox', { name: 'Number or name' });
  await expect(box).toHaveValue('+442071234567');
  await expect(box).toBeFocused();
  await page.evaluate(() => window.__deskFixture?.navigate('health'));
  await expect(page.getByRole('heading', { level: 1, name: 'Health' })).toBeFocused();
});

// ---------------------------------------------------------------- the browser shell, over the real WebSocket

test.describe('browser shell over WebSocket', () => {
  let desk: FixtureDesk;
  let shell: ShellServer | undefined;

  test.beforeEach(async () => {
    desk = createFixtureDesk();
    shell = await startShellServer({ staticDir: build?.outDir ?? '', handlers: desk.handlers, events: desk });
  });

  test.afterEach(async () => {
    await shell?.dispose();
    shell = undefined;
  });

  test('token in the URL, removed from the address bar; calls and events cross the socket', async ({
    page,
    consoleErrors: _,
  }) => {
    if (shell === undefined) throw new Error('no shell');
    const response = await page.goto(shell.url);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(response?.headers()['x-content-type-options']).toBe('nosniff');
    await expect(page.locator('.app')).toHaveAttribute('data-ready', 'true');
    expect(page.url()).toBe(`${shell.origin}/`);
    await expect.poll(() => shell?.clientCount()).toBe(1);

    await page.keyboard.press('/');
    const box = page.getByRole('combobox', { name: 'Number or name' });
    await box.pressSequentially('2002');
    await expect(box).toHaveAccessibleDescription('Dials 2002');
    await box.press('Enter');
    await expect(callCard(page, '2002')).toHaveAttribute('data-state', 'alerting');
    expect(desk.invocations.filter((i) => i.method === 'desk.makeCall').map((i) => i.request)).toEqual([
      { number: '2002' },
    ]);

    // Events pushed by the host reach the page.
    desk.farEndAnswers();
    await expect(callCard(page, '2002')).toHaveAttribute('data-state', 'connected');
    desk.ringIn('+14085550111', 'Bob Martin');
    const ringing = page.getByRole('region', { name: 'Incoming call from Bob Martin' });
    await ringing.getByRole('button', { name: 'Answer' }).click();
    await expect(ringing).toHaveCount(0);
    await expect(callCard(page, '2002')).toHaveAttribute('data-state', 'held');

    // A refusal crosses as { code, message } and is shown.
    await expect(callCard(page, '2002').getByRole('button', { name: 'Resume' })).toHaveAccessibleDescription(
      'Another call is connected: hold it first',
    );
    desk.failNext('desk.hold', 'CTI_NOT_CONNECTED', 'The CTI link to this line is down');
    await callCard(page, 'Bob Martin').getByRole('button', { name: 'Hold' }).click();
    await expect(notice(page, 'Cannot hold: the link to the phone system is down')).toHaveAttribute(
      'data-code',
      'CTI_NOT_CONNECTED',
    );

    // A reload reconnects with the token kept for this tab.
    await page.reload();
    await expect(page.locator('.app')).toHaveAttribute('data-ready', 'true');
    await expect(callCard(page, 'Bob Martin')).toHaveAttribute('data-state', 'connected');
  });

  test('without the token the page says how to connect', async ({ page, consoleErrors }) => {
    if (shell === undefined) throw new Error('no shell');
    consoleErrors.allow(/WebSocket connection/);
    await page.goto(`${shell.origin}/`);
    await expect(page.getByRole('alert')).toContainText('Not connected to Deskline');
    expect(shell.clientCount()).toBe(0);
  });

  test('the link drops and comes back: the header says so, then the state resyncs', async ({
    page,
    consoleErrors,
  }) => {
    if (shell === undefined) throw new Error('no shell');
    // While the shell is down, Chromium logs each refused reconnect attempt.
    consoleErrors.allow(/WebSocket connection to .* failed/);
    const { port } = shell;
    const token = new URL(shell.url).searchParams.get('token') ?? '';
    await page.goto(shell.url);
    await expect(page.locator('.app')).toHaveAttribute('data-ready', 'true');
    await expect(page.getByRole('banner').getByText('DND')).toHaveCount(0);

    await shell.dispose();
    shell = undefined;
    await expect(
      page.getByRole('banner').getByRole('status').filter({ hasText: 'Connection lost — reconnecting…' }),
    ).toBeVisible();

    // The host comes back on the same address with the same token; its state moved on meanwhile.
    desk = createFixtureDesk();
    await desk.handlers['desk.setDoNotDisturb']({ on: true });
    shell = await startShellServer({
      staticDir: build?.outDir ?? '',
      handlers: desk.handlers,
      events: desk,
      port,
      token,
    });
    await expect(page.getByRole('banner').getByText('DND')).toBeVisible({ timeout: 20_000 });
    await expect(page.getByRole('banner').getByText('Connection lost — reconnecting…')).toHaveCount(0);
    // Re-subscribed: a new event reaches the page.
    desk.ringIn('3003');
    await expect(page.getByRole('region', { name: 'Incoming call from 3003' })).toBeVisible();
  });
});
