// The desktop app a person keeps (issue 13) in Chromium against the real service: the gateway
// CLI with the simulator in-process (e2e/support/real-service.ts), its browser shell opened with
// its token. First start at the user's line and the line remembered across a restart; every line
// of Carol's phones at once (her 1003 and Dave's 1004 shared on her desk phone); merge and drop;
// declined vs missed and the host-owned badge; names from the directory; the one screen for a
// user without a line; the troubleshooter; the tab reconnecting after a gateway restart.
// Every wait is on UI state or the simulator's answer, never a sleep; every screenshot
// (test-results/screenshots/real-*.png) is also an axe scan.
import type { Page } from '@playwright/test';
import {
  callCard,
  chooseLine,
  dial,
  expect,
  goTo,
  notice,
  openShell,
  ringingCard,
  shot,
  tab,
  test,
} from './support/fixtures.js';
import { simCalls } from './support/real-service.js';

test.use({ viewport: { width: 380, height: 720 } });

const CAROL_DESK = 'Carol Chen · 1003, Carol Chen - desk · Cisco 8851';
const CAROL_SHARED = 'Dave (shared) · 1004, Carol Chen - desk · Cisco 8851';
const CAROL_SHARED_ID = 'SEP00AABB000003/1004/INTERNAL';
const CALLER = '+14085550123';
const CALLER_SHOWN = '+1 408 555 0123';

/** Refused WebSocket reconnects while the service is down are expected in the console. */
const WS_RETRY = /WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/ws\?token=[^']*' failed/;

const session = (page: Page) => page.locator('.app');

// ---------------------------------------------------------------- first start at the user's line

test('with several lines the first start asks; the line chosen is remembered across a restart', async ({
  page,
  services,
  consoleErrors: _,
}) => {
  const dataDir = await services.tempDir();
  const first = await services.start('carol', dataDir);
  await openShell(page, first);
  await expect(session(page)).toHaveAttribute('data-session', 'noLine');
  await expect(
    page.getByText('Choose the line you dial from: calls on all your lines then show here.'),
  ).toBeVisible();
  await goTo(page, 'Lines');
  await expect(page.getByText(/^Calls on all your lines show on Calls\./)).toBeVisible();
  await shot(page, 'lines-several');
  await chooseLine(page, CAROL_SHARED);

  // A restart with the same data directory: Carol is back at Dave's line without a click.
  await page.goto('about:blank');
  expect(await first.stop()).toBe(0);
  const second = await services.start('carol', dataDir);
  await openShell(page, second);
  await expect(session(page)).toHaveAttribute('data-session', 'active');
  await expect(
    page.getByRole('button', { name: 'Dave (shared) · 1004, Carol Chen - desk. Change line', exact: true }),
  ).toBeVisible();
  await goTo(page, 'Lines');
  await expect(page.getByRole('button', { name: CAROL_SHARED, exact: true })).toHaveAttribute(
    'aria-pressed',
    'true',
  );
  await shot(page, 'line-remembered');
});

test('the tab reconnects by itself after a gateway restart (same data dir: same token and port)', async ({
  page,
  services,
  consoleErrors,
}) => {
  consoleErrors.allow(WS_RETRY);
  const dataDir = await services.tempDir();
  const first = await services.start('alice', dataDir);
  await openShell(page, first);
  await expect(session(page)).toHaveAttribute('data-session', 'active');

  expect(await first.stop()).toBe(0);
  await expect(page.getByRole('status').filter({ hasText: 'Connection lost — reconnecting…' })).toBeVisible();
  await shot(page, 'shell-reconnecting');

  const second = await services.start('alice', dataDir);
  expect(second.shellUrl).toBe(first.shellUrl);
  // The same tab, untouched: the link comes back and the desk is live again.
  await expect(page.getByText('Connection lost — reconnecting…')).toHaveCount(0, { timeout: 20_000 });
  await expect(session(page)).toHaveAttribute('data-session', 'active');
  await expect(session(page)).toHaveAttribute('data-cti', 'up');
  await dial(page, '1002');
  const bob = callCard(page, 'Bob Baker');
  await expect(bob).toBeFocused();
  await bob.getByRole('button', { name: 'Hang up' }).click();
  await expect(bob).toHaveCount(0);
  // A reload keeps working too (the token is the same).
  await page.reload();
  await expect(session(page)).toHaveAttribute('data-ready', 'true');
  await expect(session(page)).toHaveAttribute('data-session', 'active');
  await shot(page, 'shell-reconnected');
});

// ---------------------------------------------------------------- every line watched

test.describe('carol', () => {
  test.use({ serviceUser: 'carol' });

  test("calls on two lines at once: Carol's 1003 and Dave's 1004 shared on her desk phone", async ({
    page,
    service,
    consoleErrors: _,
  }) => {
    await openShell(page, service);
    await chooseLine(page, CAROL_DESK);
    // A caller rings Dave's line: it rings on Carol's desk phone too, and says which line.
    await service.admin.placeInboundCall(CALLER, '1004');
    const ringing = ringingCard(page, CALLER_SHOWN);
    await expect(ringing).toContainText('On 1004 · Dave (shared)');
    await expect(ringing.locator('.call-line')).toHaveAttribute('data-line-id', CAROL_SHARED_ID);
    // Meanwhile she calls the help desk from her own line (it answers by itself).
    await dial(page, '1200');
    const helpDesk = callCard(page, 'Help Desk');
    await expect(helpDesk).toHaveAttribute('data-state', 'connected');
    // 1003 is on her desk phone and her softphone: the phone is named too.
    await expect(helpDesk).toContainText('On 1003 · Carol Chen, Carol Chen - desk');
    await shot(page, 'two-lines-ringing');

    await ringing.getByRole('button', { name: 'Answer' }).click();
    const caller = callCard(page, CALLER_SHOWN);
    await expect(caller).toHaveAttribute('data-state', 'connected');
    await expect(caller).toBeFocused();
    await expect(caller).toContainText('On 1004 · Dave (shared)');
    await expect(helpDesk).toBeVisible();
    await expect(tab(page, 'Calls')).toHaveAccessibleName('Calls, 2 active');
    await shot(page, 'two-lines');
    const calls = await simCalls(service);
    expect(calls).toHaveLength(2);
    expect(calls.some((c) => c[CAROL_SHARED_ID] === 'connected')).toBe(true);
    expect(calls.some((c) => c['SEP00AABB000003/1003/INTERNAL'] === 'connected')).toBe(true);

    await caller.getByRole('button', { name: 'Hang up' }).click();
    await helpDesk.getByRole('button', { name: 'Hang up' }).click();
    await expect(page.locator('.call-card')).toHaveCount(0);
    await expect.poll(() => service.admin.calls()).toEqual([]);
  });
});

// ---------------------------------------------------------------- a working day

test('merge two calls into a conference, then drop a party from the roster', async ({
  page,
  service,
  consoleErrors: _,
}) => {
  await openShell(page, service);
  await dial(page, '1200');
  const helpDesk = callCard(page, 'Help Desk');
  await expect(helpDesk).toHaveAttribute('data-state', 'connected');
  await helpDesk.getByRole('button', { name: 'Hold' }).click();
  await expect(helpDesk).toHaveAttribute('data-state', 'held');
  await dial(page, '1300');
  const boardRoom = callCard(page, 'Board Room');
  await expect(boardRoom).toHaveAttribute('data-state', 'connected');
  const merge = boardRoom.getByRole('button', { name: 'Merge with Help Desk' });
  await expect(merge).toBeVisible();
  await shot(page, 'merge');
  await merge.click();

  const conference = page
    .locator('.call-card')
    .filter({ has: page.getByRole('list', { name: 'Conference parties' }) });
  await expect(conference).toHaveCount(1);
  await expect(conference).toBeFocused();
  const roster = conference.getByRole('list', { name: 'Conference parties' });
  await expect(roster.getByRole('listitem')).toHaveCount(2);
  await expect(roster.getByRole('button', { name: 'Remove Help Desk' })).toBeVisible();
  await shot(page, 'conference-roster');
  expect(Object.keys((await simCalls(service))[0] ?? {}).sort()).toEqual([
    'SEP00AABB000001/1001/INTERNAL',
    'SEP00AABB000005/1200/INTERNAL',
    'SEP00AABB000030/1300/INTERNAL',
  ]);

  await roster.getByRole('button', { name: 'Remove Board Room' }).click();
  await expect(notice(page, 'Removed Board Room from the conference.')).toBeVisible();
  const after = callCard(page, 'Help Desk');
  await expect(after).toBeFocused();
  await expect(after.getByRole('list', { name: 'Conference parties' })).toHaveCount(0);
  await expect
    .poll(async () => Object.keys((await simCalls(service))[0] ?? {}).sort())
    .toEqual(['SEP00AABB000001/1001/INTERNAL', 'SEP00AABB000005/1200/INTERNAL']);
  await shot(page, 'after-drop');
  await after.getByRole('button', { name: 'Hang up' }).click();
  await expect.poll(() => service.admin.calls()).toEqual([]);
});

test('Ring my phone, Decline: Declined in the history, not a missed call; the badge is the host’s', async ({
  page,
  service,
  consoleErrors: _,
}) => {
  await openShell(page, service);
  await page.getByRole('button', { name: 'Ring my phone' }).click();
  const ringing = ringingCard(page, CALLER_SHOWN);
  await expect(ringing).toBeVisible();
  await shot(page, 'ring-my-phone');
  await ringing.getByRole('button', { name: 'Decline' }).click();
  await expect(ringing).toHaveCount(0);
  await goTo(page, 'History');
  const items = page.getByRole('main').getByRole('listitem');
  await expect(items.nth(0)).toHaveAttribute('data-outcome', 'declined');
  await expect(items.nth(0)).toContainText('Declined');
  await expect(tab(page, 'History')).toHaveAccessibleName('History');

  // A caller who gives up: missed, and the badge — kept by the host, so a reload keeps it.
  await goTo(page, 'Calls');
  const missed = await service.admin.placeInboundCall(CALLER, '1001');
  await expect(ringingCard(page, CALLER_SHOWN)).toBeVisible();
  await service.admin.clearCall(missed.callId);
  await expect(tab(page, 'History')).toHaveAccessibleName('History, 1 missed');
  await page.reload();
  await expect(session(page)).toHaveAttribute('data-ready', 'true');
  await expect(tab(page, 'History')).toHaveAccessibleName('History, 1 missed');
  await shot(page, 'missed-badge-host');
  await goTo(page, 'History');
  await expect(tab(page, 'History')).toHaveAccessibleName('History');
  await expect(items.nth(0)).toHaveAttribute('data-outcome', 'missed');
  // Seen is the host's: a reload does not bring the badge back.
  await page.reload();
  await expect(session(page)).toHaveAttribute('data-ready', 'true');
  await expect(tab(page, 'History')).toHaveAccessibleName('History');
});

test('names from the directory: the Dial box finds Bob by name and calls him', async ({
  page,
  service,
  consoleErrors: _,
}) => {
  await openShell(page, service);
  await goTo(page, 'Dial');
  const box = page.getByRole('combobox', { name: 'Number or name' });
  await box.fill('bob');
  const option = page.getByRole('option', { name: /^Bob Baker, 1002/ });
  await expect(option).toBeVisible();
  await shot(page, 'dial-directory');
  await box.press('ArrowDown');
  await expect(option).toHaveAttribute('aria-selected', 'true');
  await box.press('Enter');
  const bob = callCard(page, 'Bob Baker');
  await expect(bob).toBeFocused();
  await bob.getByRole('button', { name: 'Hang up' }).click();
  await expect.poll(() => service.admin.calls()).toEqual([]);
});

test('the troubleshooter on Health, for the signed-in user, in plain words', async ({
  page,
  service,
  consoleErrors: _,
}) => {
  await openShell(page, service);
  await goTo(page, 'Health');
  const setup = page.getByRole('region', { name: 'Your setup' });
  await expect(
    setup.getByText('Everything needed to control your phone from here is in place.'),
  ).toBeVisible();
  const checks = setup.getByRole('list', { name: 'Checks' });
  await expect(checks.getByRole('listitem')).toHaveCount(8);
  await expect(checks.locator('[data-check="licence"]')).toHaveAttribute('data-status', 'ok');
  await expect(checks.locator('[data-check="licence"]')).toContainText('You have a licence');
  await shot(page, 'health-troubleshooter');
});

test.describe('frank', () => {
  test.use({ serviceUser: 'frank' });

  test('a user without a licence gets one screen saying why and what to ask', async ({
    page,
    service,
    consoleErrors: _,
  }) => {
    await openShell(page, service);
    await expect(page.getByRole('heading', { name: 'No licence to control your phone' })).toBeVisible();
    await expect(
      page.getByText(
        'Ask your administrator to assign you a licence that includes phone control from a computer.',
      ),
    ).toBeVisible();
    await expect(session(page)).toHaveAttribute('data-session', 'noLine');
    await shot(page, 'no-access');
    await goTo(page, 'Lines');
    await expect(page.getByRole('heading', { name: 'No licence to control your phone' })).toBeVisible();
    await goTo(page, 'Health');
    const setup = page.getByRole('region', { name: 'Your setup' });
    await expect(setup.locator('[data-check="licence"]')).toHaveAttribute('data-status', 'fail');
    await shot(page, 'no-access-health');
  });
});
