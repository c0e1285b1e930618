// Every flow of the desktop UI in Chromium against the real service: the gateway CLI started
// as a child process (e2e/support/real-service.ts) with the CTI Manager simulator in-process,
// its browser shell opened with its token, the simulator's admin API driving what a phone
// system would do (a node fails, a call comes in) and telling what really happened to calls.
//
// Each test gets its own service (about a second to start), so no test sees another's calls.
// Every wait is on UI state (roles, names, data-state) or on the simulator's answer, never a
// sleep. Demo cluster (docs/simulator.md): Bob's 1002 answers by itself after 2 s, the help
// desk 1200 after 1.5 s, the board room 1300 after 1 s. Screenshots: real-*.png.
import type { Page } from '@playwright/test';
import {
  aliceAtHerDesk,
  ALICE_LINE,
  callCard,
  chooseLine,
  dial,
  expect,
  goTo,
  key,
  nodeCard,
  notice,
  openShell,
  ringingCard,
  shot,
  tab,
  test,
} from './support/fixtures.js';
import { parties, simCalls } from './support/real-service.js';

/** CTI device IDs of the demo cluster's appearances: `<device>/<dn>/<partition>`. */
const ALICE = 'SEP00AABB000001/1001/INTERNAL';
const BOB = 'SEP00AABB000002/1002/INTERNAL';
const HELP_DESK = 'SEP00AABB000005/1200/INTERNAL';
const BOARD_ROOM = 'SEP00AABB000030/1300/INTERNAL';
const CALLER = '+14085550123';
/** A far end that answers after 3 s (DEMO_NUMBERS.answers). */
const OUTSIDE = '+14085550100';
/** The same numbers as the screen shows them to people (E.164 stays in the tooltip). */
const CALLER_SHOWN = '+1 408 555 0123';
const OUTSIDE_SHOWN = '+1 408 555 0100';

// The Electron tray popup's size (main/src/main.ts POPUP_SIZE), taller for full-page shots.
test.use({ viewport: { width: 380, height: 720 } });

/** The duration shown on a call card (its accessible name is "Duration m:ss"). */
const duration = (page: Page, name: string) => callCard(page, name).getByLabel(/^Duration /);

// ---------------------------------------------------------------- lines

test("first start at the user's line: Alice's only line is chosen by itself", async ({
  page,
  service,
  consoleErrors: _,
}) => {
  await openShell(page, service);
  // One line she may control: nothing to pick (docs/ui.md §2 Lines).
  await expect(page.locator('.app')).toHaveAttribute('data-session', 'active');
  await expect(
    page.getByRole('button', { name: 'Alice Archer · 1001, Alice Archer - desk. Change line', exact: true }),
  ).toBeVisible();
  await expect(page.getByRole('status', { name: 'Session: Ready' })).toBeVisible();
  await expect(page.getByText('No calls.')).toBeVisible();

  await goTo(page, 'Lines');
  const list = page.getByRole('list', { name: 'Your lines' });
  const line = list.getByRole('button', { name: ALICE_LINE, exact: true });
  await expect(line).toHaveAttribute('aria-pressed', 'true');
  await expect(line).toHaveAttribute('data-state', 'selected');
  await expect(line).toContainText('Cisco 8865');
  await expect(page.getByText('Alice Archer (alice)')).toBeVisible();
  // Words for people: no device name, no partition anywhere on screen.
  await expect(page.locator('body')).not.toContainText('SEP00AABB');
  await expect(page.locator('body')).not.toContainText('INTERNAL');
  await shot(page, 'lines');
  // The chosen line, chosen again: back to the calls.
  await line.click();
  await expect(tab(page, 'Calls')).toHaveAttribute('aria-current', 'page');
  await expect(page.getByRole('heading', { level: 1, name: 'Calls' })).toBeFocused();
  // The simulator sees the monitor the desk started on the line.
  expect((await service.admin.nodes()).reduce((n, node) => n + node.monitors, 0)).toBeGreaterThan(0);
});

// ---------------------------------------------------------------- a call: dial, hold, resume, hang up

test('dial 1002 from the pad: ringing, connected with a running duration, hold, resume, hang up', async ({
  page,
  service,
  consoleErrors: _,
}) => {
  await aliceAtHerDesk(page, service);
  await goTo(page, 'Dial');
  const pad = page.getByRole('group', { name: 'Dial pad' });
  for (const digit of '1002') await key(pad, digit).click();
  const box = page.getByRole('combobox', { name: 'Number or name' });
  await expect(box).toHaveValue('1002');
  await expect(box).toHaveAccessibleDescription(/^Dials 1002/);
  await page.getByRole('button', { name: 'Call', exact: true }).click();

  // Bob's phone rings for 2 s: the checks made while it rings come first.
  const card = callCard(page, 'Bob Baker');
  await expect(card).toHaveAttribute('data-state', 'alerting');
  // Focus follows the call: the new card, not the page body.
  await expect(card).toBeFocused();
  expect(await simCalls(service)).toEqual([{ [ALICE]: 'connected', [BOB]: 'alerting' }]);
  await expect(card).toContainText('Ringing');
  await expect(card.getByRole('button', { name: 'Hold' })).toHaveAccessibleDescription(
    'Only a connected call can be put on hold',
  );
  await shot(page, 'calls-ringing');

  // Bob's phone answers by itself after 2 s.
  await expect(card).toHaveAttribute('data-state', 'connected');
  const first = await duration(page, 'Bob Baker').textContent();
  expect(first).toMatch(/^\d+:\d\d$/);
  await expect(duration(page, 'Bob Baker')).not.toHaveText(first ?? '');
  expect(await simCalls(service)).toEqual([{ [ALICE]: 'connected', [BOB]: 'connected' }]);
  await shot(page, 'calls-connected');

  await card.getByRole('button', { name: 'Hold' }).click();
  await expect(card).toHaveAttribute('data-state', 'held');
  await expect(card).toContainText('On hold');
  expect(await simCalls(service)).toEqual([{ [ALICE]: 'hold', [BOB]: 'connected' }]);
  await shot(page, 'calls-held');

  await card.getByRole('button', { name: 'Resume' }).click();
  await expect(card).toHaveAttribute('data-state', 'connected');
  expect(await simCalls(service)).toEqual([{ [ALICE]: 'connected', [BOB]: 'connected' }]);

  await card.getByRole('button', { name: 'Hang up' }).click();
  await expect(card).toHaveCount(0);
  await expect(page.getByText('No calls.')).toBeVisible();
  await expect(page.getByRole('heading', { level: 1, name: 'Calls' })).toBeFocused();
  expect(await service.admin.calls()).toEqual([]);
});

// ---------------------------------------------------------------- transfer and conference

test('consultative transfer: 1200, consult 1300, complete; the two stay connected', async ({
  page,
  service,
  consoleErrors: _,
}) => {
  await aliceAtHerDesk(page, service);
  await dial(page, '1200');
  const card = callCard(page, 'Help Desk');
  await expect(card).toHaveAttribute('data-state', 'connected');

  await card.getByRole('button', { name: 'Transfer', exact: true }).click();
  const to = card.getByRole('textbox', { name: 'Transfer to' });
  await expect(to).toBeFocused();
  await to.fill('1300');
  await expect(to).toHaveAccessibleDescription(/^Dials 1300/);
  await card.getByRole('button', { name: 'Consult first' }).click();

  const pair = page.getByRole('article', { name: 'Consultation with Board Room, Help Desk waiting' });
  await expect(pair).toBeVisible();
  await expect(pair.locator('.pair-row[data-state="held"]')).toContainText('Help Desk');
  // The board room answers by itself after 1 s.
  await expect(pair.locator('.pair-row[data-state="connected"]')).toContainText('Board Room');
  await expect(pair.getByRole('button', { name: 'Complete transfer' })).toBeEnabled();
  await shot(page, 'consultation');

  await pair.getByRole('button', { name: 'Complete transfer' }).click();
  await expect(pair).toHaveCount(0);
  await expect(page.getByRole('article')).toHaveCount(0);
  await expect(page.getByText('No calls.')).toBeVisible();
  // Confirmed, and focus is on the heading (no call left).
  await expect(
    notice(page, 'Transferred: Help Desk and Board Room are now talking to each other.'),
  ).toBeVisible();
  await expect(page.getByRole('heading', { level: 1, name: 'Calls' })).toBeFocused();
  // Alice is out; the help desk and the board room talk to each other.
  expect(await simCalls(service)).toEqual([{ [HELP_DESK]: 'connected', [BOARD_ROOM]: 'connected' }]);
});

test('conference: Bob, then an outside number, joined; hang up leaves it', async ({
  page,
  service,
  consoleErrors: _,
}) => {
  await aliceAtHerDesk(page, service);
  await dial(page, '1002');
  const bob = callCard(page, 'Bob Baker');
  await expect(bob).toHaveAttribute('data-state', 'connected');
  await bob.getByRole('button', { name: 'Transfer', exact: true }).click();
  await bob.getByRole('textbox', { name: 'Transfer to' }).fill(OUTSIDE);
  await bob.getByRole('button', { name: 'Consult first' }).click();

  // The outside number rings for 3 s: Conference says why it must wait.
  const pair = page.getByRole('article', { name: `Consultation with ${OUTSIDE_SHOWN}, Bob Baker waiting` });
  await expect(pair).toBeFocused();
  const conference = pair.getByRole('button', { name: 'Conference' });
  await expect(conference).toHaveAccessibleDescription('The consulted party has not answered yet');
  await expect(pair.locator('.pair-row[data-state="connected"]')).toContainText(OUTSIDE_SHOWN);
  await expect(conference).toBeEnabled();
  await conference.click();

  await expect(pair).toHaveCount(0);
  await expect(page.getByRole('article')).toHaveCount(1);
  const call = callCard(page, `${OUTSIDE_SHOWN} and Bob Baker`);
  await expect(call).toHaveAttribute('data-state', 'connected');
  await expect(call).toBeFocused();
  await expect(call.locator('.call-name')).toHaveText('Conference');
  await expect(call).toContainText('3 people');
  const members = call.getByRole('list', { name: 'Conference parties' }).getByRole('listitem');
  await expect(members).toHaveCount(2);
  await expect(members.filter({ hasText: 'Bob Baker' })).toHaveAttribute('data-state', 'connected');
  await expect(members.filter({ hasText: OUTSIDE_SHOWN })).toHaveAttribute('data-state', 'connected');
  expect(await simCalls(service)).toEqual([
    { [ALICE]: 'connected', [BOB]: 'connected', [OUTSIDE]: 'connected' },
  ]);
  await shot(page, 'conference');

  await call.getByRole('button', { name: 'Hang up' }).click();
  await expect(call).toHaveCount(0);
  await expect(page.getByText('No calls.')).toBeVisible();
  const left = await simCalls(service);
  expect(left.every((p) => !(ALICE in p))).toBe(true);
});

// ---------------------------------------------------------------- inbound

test('an inbound call rings with Answer and Decline; answering connects it', async ({
  page,
  service,
  consoleErrors: _,
}) => {
  await aliceAtHerDesk(page, service);
  await goTo(page, 'History');
  await service.admin.placeInboundCall(CALLER, '1001');
  const ringing = ringingCard(page, CALLER_SHOWN);
  await expect(ringing).toBeVisible();
  await expect(ringing.getByRole('button', { name: 'Answer' })).toBeEnabled();
  await expect(ringing.getByRole('button', { name: 'Decline' })).toBeEnabled();
  await expect(ringing.getByRole('button', { name: 'Send to…' })).toBeEnabled();
  await shot(page, 'incoming');

  await ringing.getByRole('button', { name: 'Answer' }).click();
  await expect(ringing).toHaveCount(0);
  // Answering opens Calls with focus on the call.
  const card = callCard(page, CALLER_SHOWN);
  await expect(card).toHaveAttribute('data-state', 'connected');
  await expect(card).toBeFocused();
  await expect(card.getByText(CALLER_SHOWN)).toHaveAttribute('title', `E.164: ${CALLER}`);
  await shot(page, 'calls-answered');
  expect(await simCalls(service)).toEqual([{ [CALLER]: 'connected', [ALICE]: 'connected' }]);
  await card.getByRole('button', { name: 'Hang up' }).click();
  await expect(card).toHaveCount(0);
  expect(await service.admin.calls()).toEqual([]);
});

// ---------------------------------------------------------------- refusals say why

test.describe('a refused action shows why', () => {
  test.describe('grace', () => {
    test.use({ serviceUser: 'grace' });

    test('her CTI-disallowed lab line says why it cannot be chosen', async ({
      page,
      service,
      consoleErrors: _,
    }) => {
      await openShell(page, service);
      await goTo(page, 'Lines');
      const list = page.getByRole('list', { name: 'Your lines' });
      const lab = list.getByRole('button', {
        name: 'Grace Green (lab) · 1017, Grace Green - lab bench · Cisco 7821',
        exact: true,
      });
      await expect(lab).toHaveAttribute('data-state', 'unavailable');
      await expect(lab).toHaveAttribute('aria-disabled', 'true');
      // The engine's reason names the device and a CUCM setting: shown in plain words, with
      // the engine's text (for the administrator) in the tooltip.
      const reason = 'Your administrator has not allowed this phone to be controlled from a computer.';
      await expect(lab).toHaveAccessibleDescription(reason);
      await expect(list.getByText(reason)).toBeVisible();
      await expect(list.getByText(reason)).toHaveAttribute(
        'title',
        '"Allow Control of Device from CTI" is off on SEP00AABB000017',
      );
      // Her desk line is the only one she may control: chosen by itself at start.
      const desk = list.getByRole('button', { name: 'Grace Green · 1007, Grace Green - desk · Cisco 8865' });
      await expect(desk).toHaveAttribute('aria-pressed', 'true');
      // force: Playwright would wait for an aria-disabled button to enable. Nothing happens.
      await lab.click({ force: true });
      await expect(lab).toHaveAttribute('aria-pressed', 'false');
      await expect(desk).toHaveAttribute('aria-pressed', 'true');
      await shot(page, 'lines-refused');
      await chooseLine(page, 'Grace Green · 1007, Grace Green - desk · Cisco 8865');
    });
  });

  test('a number that cannot be dialled: the box says why, and the phone system’s refusal is shown', async ({
    page,
    service,
    consoleErrors: _,
  }) => {
    await aliceAtHerDesk(page, service);
    await goTo(page, 'Dial');
    const box = page.getByRole('combobox', { name: 'Number or name' });
    // A North American number one digit short.
    await box.pressSequentially('+1408555012');
    const call = page.getByRole('button', { name: 'Call', exact: true });
    await expect(box).toHaveAttribute('aria-invalid', 'true');
    const why = 'incomplete: North American numbers are +1 and 10 digits (9 so far)';
    await expect(box).toHaveAccessibleDescription(why);
    await expect(page.getByText(why).filter({ visible: true })).toBeVisible();
    await expect(call).toHaveAttribute('aria-disabled', 'true');
    await expect(call).toHaveAccessibleDescription(why);
    await shot(page, 'dial-invalid');

    // A premium-rate number: valid to the dial rules, not obtainable for the phone system.
    // Enter on the Call that cannot be used says why, next to it.
    await box.press('Enter');
    await expect(page.getByRole('status').filter({ hasText: `Call: ${why}` })).toBeVisible();
    await box.fill('+19005550100');
    await expect(box).toHaveAccessibleDescription('Dials +1 900 555 0100');
    await box.press('Enter');
    const failed = callCard(page, '+1 900 555 0100');
    await expect(failed).toHaveAttribute('data-state', 'failed');
    await expect(failed).toContainText('Number not obtainable');
    await shot(page, 'dial-refused');
    await failed.getByRole('button', { name: 'Dismiss' }).click();
    await expect(failed).toHaveCount(0);
    await expect(page.getByRole('heading', { level: 1, name: 'Calls' })).toBeFocused();
    expect(await service.admin.calls()).toEqual([]);
  });
});

// ---------------------------------------------------------------- DND and forwarding

test('Do not disturb and forward all calls: the switches, the header, and where calls go', async ({
  page,
  service,
  consoleErrors: _,
}) => {
  await aliceAtHerDesk(page, service);
  const header = page.getByRole('banner');

  const dnd = page.getByRole('switch', { name: 'Do not disturb' });
  await expect(dnd).toHaveAttribute('aria-checked', 'false');
  await dnd.click();
  await expect(dnd).toHaveAttribute('aria-checked', 'true');
  await expect(header.getByText('DND')).toBeVisible();
  // The phone system really does not present calls now.
  const refused = await service.admin.placeInboundCall(CALLER, '1001');
  expect(refused.connections.some((c) => c.deviceId === ALICE)).toBe(false);
  await dnd.click();
  await expect(dnd).toHaveAttribute('aria-checked', 'false');
  await expect(header.getByText('DND')).toHaveCount(0);

  const forward = page.getByRole('switch', { name: 'Forward all calls' });
  const forwardTo = page.getByRole('textbox', { name: 'Forward all calls to' });
  // The phone system refuses to forward a line to itself: the refusal is shown, nothing changes.
  await forwardTo.fill('1001');
  await forward.click();
  const refusal = notice(page, 'Cannot change forwarding');
  await expect(refusal.locator('.notice-text')).toHaveText(
    'Error: Cannot change forwarding: the phone system does not accept that number as a forwarding destination',
  );
  await expect(refusal).toHaveAttribute('data-code', 'CTI_ERROR');
  await expect(forward).toHaveAttribute('aria-checked', 'false');
  await shot(page, 'refused-forwarding');
  await refusal.getByRole('button', { name: 'Dismiss notice' }).click();
  await expect(refusal).toHaveCount(0);
  await forwardTo.fill('1002');
  await forward.click();
  await expect(forward).toHaveAttribute('aria-checked', 'true');
  await expect(forward).toHaveAccessibleDescription('To 1002');
  await expect(header).toContainText('1002');
  await shot(page, 'features');
  const diverted = await service.admin.placeInboundCall(CALLER, '1001');
  expect(parties(diverted)).toEqual({ [CALLER]: 'connected', [BOB]: 'alerting' });
  await service.admin.clearCall(diverted.callId);

  await forward.click();
  await expect(forward).toHaveAttribute('aria-checked', 'false');
  await expect(header).not.toContainText('1002');
  // Turning forwarding off keeps its number: back on is one click.
  await expect(forwardTo).toHaveValue('1002');
  await forward.click();
  await expect(forward).toHaveAccessibleDescription('To 1002');
  await forward.click();
  await expect(forward).toHaveAttribute('aria-checked', 'false');
  await expect(page.locator('.app')).toHaveAttribute('data-session', 'active');
});

// ---------------------------------------------------------------- health

test('a CTI node goes down and comes back: Down, the degraded banner, Up with a new connection ID', async ({
  page,
  service,
  consoleErrors: _,
}) => {
  await aliceAtHerDesk(page, service);
  const [first] = await service.admin.nodes();
  if (first === undefined) throw new Error('the simulator has no node');
  await page.getByRole('button', { name: 'Phone system online. Open Health' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Health' })).toBeVisible();
  const card = nodeCard(page, first.address);
  await expect(card).toHaveAttribute('data-state', 'up');
  await expect(page.getByRole('article', { name: /^CTI Manager / })).toHaveCount(2);
  await expect(page.getByRole('alert')).toHaveCount(0);
  const stat = (node: typeof card, name: string) => node.locator(`dt:text-is("${name}") + dd`);
  const connectionId = stat(card, 'Connection ID');
  // Alice's session is bound to the first node (round robin starts there): its failure is hers.
  const [, second] = await service.admin.nodes();
  if (second === undefined) throw new Error('the simulator has one node');
  const other = nodeCard(page, second.address);
  await expect(stat(card, 'Sessions')).toHaveText('1');
  await expect(stat(other, 'Sessions')).toHaveText('0');
  const before = (await connectionId.textContent()) ?? '';
  expect(before).not.toBe('—');
  // Heartbeats every second (the test config): the sparkline fills in.
  await expect(card.getByRole('img', { name: /: ([5-9]|\d{2,}) samples/ })).toBeVisible({ timeout: 15_000 });
  await shot(page, 'health');

  await service.admin.node(0, 'stop');
  await expect(card).toHaveAttribute('data-state', 'down');
  await expect(page.getByRole('alert')).toHaveText('CTI link degraded: 1 of 2 CTI Managers up.');
  await expect(page.getByRole('button', { name: 'Phone system partly online. Open Health' })).toBeVisible();
  await expect(card.locator('.node-error')).not.toBeEmpty();
  await shot(page, 'health-degraded');

  // Meanwhile the line works through the other node: a call connects.
  await expect(stat(other, 'Sessions')).toHaveText('1');
  await expect(page.locator('.app')).toHaveAttribute('data-session', 'active');
  await dial(page, '1002');
  await expect(callCard(page, 'Bob Baker')).toHaveAttribute('data-state', 'connected');
  await callCard(page, 'Bob Baker').getByRole('button', { name: 'Hang up' }).click();
  await expect(callCard(page, 'Bob Baker')).toHaveCount(0);
  await goTo(page, 'Health');

  await service.admin.node(0, 'start');
  await expect(card).toHaveAttribute('data-state', 'up');
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(connectionId).not.toHaveText(before);
  await expect(connectionId).not.toHaveText('—');
  await expect(page.getByRole('button', { name: 'Phone system online. Open Health' })).toBeVisible();
  await expect(page.locator('.app')).toHaveAttribute('data-session', 'active');
});

// ---------------------------------------------------------------- history

test('history lists the calls, after a reload and after a restart with the same data dir', async ({
  page,
  services,
  consoleErrors: _,
}) => {
  const dataDir = await services.tempDir();
  const first = await services.start('alice', dataDir);
  await aliceAtHerDesk(page, first);
  await dial(page, '1002');
  const bob = callCard(page, 'Bob Baker');
  await expect(bob).toHaveAttribute('data-state', 'connected');
  // Talk for a second or more, so the history has a duration to show.
  await expect(duration(page, 'Bob Baker')).toHaveText(/^0:(0[1-9]|[1-5]\d)$/);
  await bob.getByRole('button', { name: 'Hang up' }).click();
  await expect(bob).toHaveCount(0);
  // A caller who gives up before Alice answers: a missed call, and a badge on History.
  const missed = await first.admin.placeInboundCall(CALLER, '1001');
  await expect(ringingCard(page, CALLER_SHOWN)).toBeVisible();
  await first.admin.clearCall(missed.callId);
  await expect(ringingCard(page, CALLER_SHOWN)).toHaveCount(0);
  await expect(tab(page, 'History')).toHaveAccessibleName('History, 1 missed');
  await shot(page, 'missed-badge');

  const expectHistory = async (): Promise<void> => {
    await goTo(page, 'History');
    // Seen: the badge is gone.
    await expect(tab(page, 'History')).toHaveAccessibleName('History');
    const items = page.getByRole('main').getByRole('listitem');
    await expect(items).toHaveCount(2);
    // Newest first.
    await expect(items.nth(0)).toHaveAttribute('data-outcome', 'missed');
    await expect(items.nth(0)).toContainText(CALLER_SHOWN);
    await expect(items.nth(1)).toHaveAttribute('data-outcome', 'answered');
    await expect(items.nth(1)).toContainText('Bob Baker');
    await expect(items.nth(1)).toContainText(/Answered · 0:(0[1-9]|[1-5]\d)/);
    await expect(items.nth(1)).toContainText('1002');
    await expect(page.getByRole('button', { name: 'Call back Bob Baker' })).toBeVisible();
  };
  await expectHistory();
  await shot(page, 'history');

  await page.reload();
  await expect(page.locator('.app')).toHaveAttribute('data-ready', 'true');
  await expectHistory();

  // A restart: the page leaves first (its WebSocket would retry a service that is gone).
  await page.goto('about:blank');
  expect(await first.stop()).toBe(0);
  const second = await services.start('alice', dataDir);
  await openShell(page, second);
  await chooseLine(page, ALICE_LINE);
  await expectHistory();
  // Call back dials in one click; focus is on the new call.
  await page.getByRole('button', { name: 'Call back Bob Baker' }).click();
  const again = callCard(page, 'Bob Baker');
  await expect(again).toBeFocused();
  await expect(again).toHaveAttribute('data-state', /alerting|connected/);
  await shot(page, 'call-back');
  await again.getByRole('button', { name: 'Hang up' }).click();
  await expect(again).toHaveCount(0);
  await expect.poll(() => second.admin.calls()).toEqual([]);

  // Redial calls the last number dialled (Bob, again).
  await goTo(page, 'Dial');
  await expect(page.getByRole('button', { name: 'Redial' })).toHaveAttribute('title', 'Call Bob Baker again');
  await page.getByRole('button', { name: 'Redial' }).click();
  await expect(callCard(page, 'Bob Baker')).toBeFocused();
  await callCard(page, 'Bob Baker').getByRole('button', { name: 'Hang up' }).click();
  await expect(callCard(page, 'Bob Baker')).toHaveCount(0);
});
