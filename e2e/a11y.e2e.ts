// Accessibility of every screen and state, in both themes (docs/ui.md §7): axe-core with no
// serious or critical violation; no horizontal scrolling at 200 % zoom; and focus that never
// falls to the page body after an action. The renderer runs against the in-page fixture desk
// (e2e/support/fixture-page.ts), so each state is reached directly and deterministically.
// Screenshots of every scene: test-results/screenshots/a11y-<scene>-<theme>.png.
import type { Locator, Page } from '@playwright/test';
import { join } from 'node:path';
import { expectAccessible } from './support/axe.js';
import {
  buildRenderer,
  connectedCall,
  disposeRenderer,
  expect,
  openFixture,
  ringIn,
  SCREENSHOTS,
  setTheme,
  test,
  type RendererBuild,
} from './support/fixture-page.js';
import type { FixtureScenario } from '../renderer/test/fixture-desk.js';

let build: RendererBuild | undefined;
test.beforeAll(async () => {
  build = await buildRenderer();
});
test.afterAll(async () => {
  await disposeRenderer(build);
});

// The Electron tray popup's size (main/src/main.ts POPUP_SIZE).
test.use({ viewport: { width: 380, height: 720 } });

const nav = (page: Page) => page.getByRole('navigation', { name: 'Screens' });
const goTo = async (page: Page, screen: string): Promise<void> => {
  await nav(page)
    .getByRole('button', { name: new RegExp(`^${screen}\\b`) })
    .click();
  await expect(page.getByRole('heading', { level: 1, name: screen })).toBeVisible();
};
const cardOf = (page: Page, callId: string) => page.locator(`[data-call-id="${callId}"]`).first();
interface Scene {
  name: string;
  scenario?: FixtureScenario;
  /** Brings the page into the state (waits on what it shows). */
  setup(page: Page): Promise<void>;
}

/** A call placed through the fixture (not the UI), left ringing at the far end. */
const alertingCall = (page: Page, number: string): Promise<string> =>
  page.evaluate(async (n) => {
    const desk = window.__deskFixture;
    if (desk === undefined) throw new Error('no fixture');
    return (await desk.handlers['desk.makeCall']({ number: n })).callId;
  }, number);

const SCENES: Scene[] = [
  {
    name: 'calls-empty',
    async setup(page) {
      await expect(page.getByRole('heading', { level: 1, name: 'Calls' })).toBeVisible();
    },
  },
  {
    name: 'calls-no-line',
    scenario: 'empty',
    async setup(page) {
      await expect(page.locator('.app')).toHaveAttribute('data-session', 'noLine');
    },
  },
  {
    name: 'lines-empty',
    scenario: 'empty',
    setup: (page) => goTo(page, 'Lines'),
  },
  {
    name: 'history-empty',
    scenario: 'empty',
    setup: (page) => goTo(page, 'History'),
  },
  {
    name: 'health-no-nodes',
    scenario: 'empty',
    setup: (page) => goTo(page, 'Health'),
  },
  {
    name: 'calls-ringing',
    async setup(page) {
      const id = await ringIn(page, '+14085550111', 'Bob Martin');
      await expect(cardOf(page, id ?? '')).toBeVisible();
    },
  },
  {
    name: 'calls-ringing-send-to',
    async setup(page) {
      const id = (await ringIn(page, '3003')) ?? '';
      await cardOf(page, id).locator('[data-action^="deflect"]').click();
      await expect(cardOf(page, id).getByRole('textbox')).toBeFocused();
    },
  },
  {
    name: 'calls-alerting',
    async setup(page) {
      const id = await alertingCall(page, '2002');
      await expect(cardOf(page, id)).toHaveAttribute('data-state', 'alerting');
    },
  },
  {
    name: 'calls-connected',
    async setup(page) {
      const id = await connectedCall(page, '+442071234567');
      await expect(cardOf(page, id)).toHaveAttribute('data-state', 'connected');
    },
  },
  {
    name: 'calls-connected-and-ringing',
    async setup(page) {
      const id = await connectedCall(page, '2002');
      const ringing = (await ringIn(page, '+14085550111', 'Bob Martin')) ?? '';
      await expect(cardOf(page, id)).toHaveAttribute('data-state', 'connected');
      await expect(cardOf(page, ringing)).toBeVisible();
    },
  },
  {
    name: 'calls-held',
    async setup(page) {
      const id = await connectedCall(page, '2002');
      await page.evaluate((callId) => window.__deskFixture?.handlers['desk.hold']({ callId }), id);
      await expect(cardOf(page, id)).toHaveAttribute('data-state', 'held');
    },
  },
  {
    name: 'calls-transfer-panel',
    async setup(page) {
      const id = await connectedCall(page, '2002');
      await cardOf(page, id).locator('[data-action="transfer-panel"]').click();
      await cardOf(page, id).getByRole('textbox').fill('3003');
      await expect(cardOf(page, id).getByRole('textbox')).toHaveAccessibleDescription(/^Dials/);
    },
  },
  {
    name: 'calls-keypad-panel',
    async setup(page) {
      const id = await connectedCall(page, '2002');
      await cardOf(page, id).locator('[data-action="digits"]').click();
      await expect(cardOf(page, id).locator('.keypad')).toBeVisible();
    },
  },
  {
    name: 'calls-consultation',
    async setup(page) {
      await connectedCall(page, '2002');
      await page.evaluate(() => {
        const desk = window.__deskFixture;
        return desk?.handlers['desk.consult']({ callId: desk.state().calls[0]?.callId ?? '', to: '3003' });
      });
      await expect(page.locator('.consult-card')).toBeVisible();
    },
  },
  {
    name: 'calls-conference',
    async setup(page) {
      await connectedCall(page, '2002');
      await page.evaluate(async () => {
        const desk = window.__deskFixture;
        if (desk === undefined) throw new Error('no fixture');
        const first = desk.state().calls[0]?.callId ?? '';
        const second = await desk.handlers['desk.consult']({ callId: first, to: '+14085550111' });
        await desk.handlers['desk.conference']({ heldCallId: first, activeCallId: second.callId });
      });
      await expect(page.locator('.parties')).toBeVisible();
    },
  },
  {
    name: 'calls-failed',
    async setup(page) {
      const id = await alertingCall(page, '+19005550100');
      await page.evaluate(
        (callId) => window.__deskFixture?.endCall(callId, 'failed', 'destNotObtainable'),
        id,
      );
      await expect(cardOf(page, id)).toHaveAttribute('data-state', 'failed');
    },
  },
  {
    name: 'calls-link-down',
    async setup(page) {
      const id = await connectedCall(page, '2002');
      await page.evaluate(() => {
        const desk = window.__deskFixture;
        desk?.setNodeState(0, 'down', 'connect ECONNREFUSED 10.1.1.10:2748');
        desk?.setNodeState(1, 'down', 'Heartbeat timeout');
        desk?.setSession('recovering', 'no healthy CTI connection: connect ECONNREFUSED 10.1.1.10:2748');
      });
      await expect(page.locator('.app')).toHaveAttribute('data-cti', 'down');
      await expect(cardOf(page, id)).toBeVisible();
    },
  },
  {
    name: 'calls-session-failed',
    async setup(page) {
      await page.evaluate(() =>
        window.__deskFixture?.setSession('failed', 'CTI control is not allowed on device SEP00AABBCC0101'),
      );
      await expect(page.locator('.app')).toHaveAttribute('data-session', 'failed');
    },
  },
  {
    name: 'calls-forwarding-on',
    async setup(page) {
      await page.evaluate(async () => {
        const desk = window.__deskFixture;
        await desk?.handlers['desk.setForwarding']({
          type: 'forwardImmediate',
          on: true,
          to: '+14085550111',
        });
        await desk?.handlers['desk.setDoNotDisturb']({ on: true });
      });
      await expect(page.locator('.forward-row[data-state="on"]')).toHaveCount(1);
    },
  },
  {
    name: 'notices',
    async setup(page) {
      await page.evaluate(() => {
        const desk = window.__deskFixture;
        desk?.notice('info', 'Settings saved.');
        desk?.notice('warning', 'cucm-sub1.example.com:2748 is not answering heartbeats', 'CTI_TIMEOUT');
        desk?.failNext(
          'desk.makeCall',
          'CTI_NOT_CONNECTED',
          'no healthy CTI connection: connect ECONNREFUSED',
        );
      });
      await page.keyboard.press('/');
      await page.keyboard.type('2002');
      await page.keyboard.press('Enter');
      await expect(page.locator('.notice')).toHaveCount(3);
    },
  },
  {
    name: 'help',
    async setup(page) {
      await page.keyboard.press('Shift+Slash');
      await expect(page.getByRole('dialog')).toBeVisible();
    },
  },
  {
    name: 'dial',
    setup: (page) => goTo(page, 'Dial'),
  },
  {
    name: 'dial-suggestions',
    async setup(page) {
      await goTo(page, 'Dial');
      await page.getByRole('combobox', { name: 'Number or name' }).fill('serv');
      await page.getByRole('combobox', { name: 'Number or name' }).press('ArrowDown');
      await expect(
        page.getByRole('listbox', { name: 'Suggestions' }).getByRole('option', { selected: true }),
      ).toBeVisible();
    },
  },
  {
    name: 'dial-invalid',
    async setup(page) {
      await goTo(page, 'Dial');
      await page.getByRole('combobox', { name: 'Number or name' }).fill('abc');
      await expect(page.getByRole('combobox', { name: 'Number or name' })).toHaveAttribute(
        'aria-invalid',
        'true',
      );
    },
  },
  {
    name: 'dial-new-favourite',
    async setup(page) {
      await goTo(page, 'Dial');
      await page.getByRole('combobox', { name: 'Number or name' }).fill('7007');
      await expect(page.getByRole('combobox', { name: 'Number or name' })).toHaveAccessibleDescription(
        /^Dials/,
      );
      await page.getByRole('button', { name: 'Add to favourites' }).click();
      await expect(page.getByRole('textbox', { name: /^Name for/ })).toBeFocused();
    },
  },
  {
    name: 'dial-no-line',
    scenario: 'empty',
    async setup(page) {
      await goTo(page, 'Dial');
      await page.getByRole('combobox', { name: 'Number or name' }).fill('1234');
    },
  },
  {
    name: 'lines',
    setup: (page) => goTo(page, 'Lines'),
  },
  {
    name: 'lines-no-licence',
    async setup(page) {
      await page.evaluate(() => {
        const desk = window.__deskFixture;
        if (desk === undefined) return;
        desk.setUser(
          { userId: 'frank', displayName: 'Frank Foster', licence: null },
          desk.state().lines.map((l) => ({
            ...l,
            controllable: false,
            notControllableReason:
              'You have no IM and Presence licence (UCL or CUWL): ask your administrator to assign one',
          })),
        );
      });
      await goTo(page, 'Lines');
    },
  },
  // ------------------------------------------------------------ issue 13: every line, a working day
  {
    name: 'calls-two-lines',
    async setup(page) {
      const id = await connectedCall(page, '2002');
      await page.evaluate(() =>
        window.__deskFixture?.ringIn('+14085550111', 'Bob Martin', 'SEP00AABBCC0101:1050'),
      );
      // 1001 stands on two of the fixture user's phones: the caption names the phone too.
      await expect(cardOf(page, id).locator('.call-line')).toHaveText('On 1001 · Alice, Desk phone');
      await expect(page.getByRole('region', { name: 'Incoming call from Bob Martin' })).toContainText(
        'On 1050 · Sales hunt',
      );
    },
  },
  {
    name: 'calls-merge',
    async setup(page) {
      const first = await connectedCall(page, '2002');
      await page.evaluate((callId) => window.__deskFixture?.handlers['desk.hold']({ callId }), first);
      const second = await connectedCall(page, '3003');
      await expect(cardOf(page, second).getByRole('button', { name: 'Merge with 2002' })).toBeVisible();
    },
  },
  {
    name: 'calls-conference-not-controller',
    async setup(page) {
      await connectedCall(page, '2002');
      await page.evaluate(async () => {
        const desk = window.__deskFixture;
        if (desk === undefined) throw new Error('no fixture');
        const first = desk.state().calls[0]?.callId ?? '';
        const second = await desk.handlers['desk.consult']({ callId: first, to: '+14085550111' });
        await desk.handlers['desk.conference']({ heldCallId: first, activeCallId: second.callId });
        desk.setController(first, false);
      });
      const remove = page.getByRole('button', { name: /^Remove / }).first();
      await expect(remove).toHaveAttribute('aria-disabled', 'true');
      await expect(remove).toHaveAccessibleDescription(
        'Only the person who set up the conference can remove someone from it',
      );
    },
  },
  {
    name: 'calls-no-access',
    async setup(page) {
      await page.evaluate(() => {
        const desk = window.__deskFixture;
        if (desk === undefined) return;
        desk.setUser(
          { userId: 'frank', displayName: 'Frank Foster', licence: null },
          desk.state().lines.map((l) => ({
            ...l,
            controllable: false,
            notControllableReason:
              'You have no licence to control phones from Deskline: ask your administrator',
            unavailable: {
              code: 'notLicensed' as const,
              detail: 'user frank has no IM and Presence licence',
            },
          })),
        );
        desk.setAccess({
          code: 'notLicensed',
          detail: 'user frank has no IM and Presence licence (UCL or CUWL)',
        });
        desk.setSession('noLine');
      });
      await expect(page.getByRole('heading', { name: 'No licence to control your phone' })).toBeVisible();
    },
  },
  {
    name: 'lines-no-access',
    scenario: 'empty',
    async setup(page) {
      await page.evaluate(() =>
        window.__deskFixture?.setAccess({ code: 'unknownUser', detail: 'no user "zed" in the directory' }),
      );
      await goTo(page, 'Lines');
      await expect(page.getByRole('heading', { name: 'The phone system does not know you' })).toBeVisible();
    },
  },
  {
    name: 'lines-not-watched',
    async setup(page) {
      await page.evaluate(() => {
        const desk = window.__deskFixture;
        if (desk === undefined) return;
        desk.setUser(
          desk.state().user,
          desk.state().lines.map((l, i) => (i === 1 ? { ...l, watched: false } : l)),
        );
      });
      await goTo(page, 'Lines');
      await expect(page.getByText(/Its calls are not shown/)).toBeVisible();
    },
  },
  {
    name: 'dial-directory',
    async setup(page) {
      await goTo(page, 'Dial');
      await page.getByRole('combobox', { name: 'Number or name' }).fill('dana');
      await expect(page.getByRole('option', { name: /^Dana Whitfield, / }).first()).toBeVisible();
      await expect(page.getByRole('combobox', { name: 'Dial from' })).toBeVisible();
    },
  },
  {
    name: 'health-troubleshooter-problem',
    async setup(page) {
      await page.evaluate(() => {
        const desk = window.__deskFixture;
        desk?.setUser({ userId: 'frank', displayName: 'Frank Foster', licence: null });
      });
      await goTo(page, 'Health');
      await expect(page.locator('.check[data-check="licence"]')).toHaveAttribute('data-status', 'fail');
    },
  },
  {
    name: 'calls-ring-my-phone',
    scenario: 'shell',
    async setup(page) {
      await page.getByRole('button', { name: 'Ring my phone' }).click();
      await expect(page.getByRole('region', { name: /^Incoming call from / })).toBeVisible();
    },
  },
  {
    name: 'settings-shell',
    scenario: 'shell',
    async setup(page) {
      await goTo(page, 'Settings');
      await expect(page.getByRole('group', { name: 'Favourites' }).first()).toBeVisible();
      await expect(page.getByRole('group', { name: 'CTI Managers' })).toHaveCount(0);
    },
  },
  {
    name: 'history-declined',
    async setup(page) {
      const id = (await ringIn(page, '3003')) ?? '';
      await page.evaluate((callId) => window.__deskFixture?.handlers['desk.hangup']({ callId }), id);
      await goTo(page, 'History');
      await expect(page.locator('.history-item[data-outcome="declined"]')).toBeVisible();
    },
  },
  {
    name: 'history',
    setup: (page) => goTo(page, 'History'),
  },
  {
    name: 'history-missed',
    async setup(page) {
      await goTo(page, 'History');
      await page.getByRole('group', { name: 'Show' }).getByRole('button', { name: 'Missed' }).click();
    },
  },
  {
    name: 'history-confirm-clear',
    async setup(page) {
      await goTo(page, 'History');
      await page.getByRole('button', { name: 'Clear history' }).click();
      await expect(page.getByRole('button', { name: 'Confirm clear' })).toBeVisible();
    },
  },
  {
    name: 'health',
    setup: (page) => goTo(page, 'Health'),
  },
  {
    name: 'health-degraded',
    async setup(page) {
      await page.evaluate(() =>
        window.__deskFixture?.setNodeState(1, 'down', 'connect ECONNREFUSED 10.1.1.11:2748'),
      );
      await goTo(page, 'Health');
      await expect(page.locator('.app')).toHaveAttribute('data-cti', 'degraded');
    },
  },
  {
    name: 'health-down',
    async setup(page) {
      await page.evaluate(() => {
        window.__deskFixture?.setNodeState(0, 'down', 'Heartbeat timeout');
        window.__deskFixture?.setNodeState(1, 'down', 'connect ECONNREFUSED 10.1.1.11:2748');
      });
      await goTo(page, 'Health');
      await expect(page.locator('.app')).toHaveAttribute('data-cti', 'down');
    },
  },
  {
    name: 'settings',
    setup: (page) => goTo(page, 'Settings'),
  },
  {
    name: 'settings-errors',
    async setup(page) {
      await goTo(page, 'Settings');
      const form = page.getByRole('form', { name: 'Settings' });
      await form.getByRole('textbox', { name: 'Heartbeat interval (seconds)' }).fill('0');
      await form.getByRole('button', { name: 'Save settings' }).click();
      await expect(form.getByRole('textbox', { name: 'Heartbeat interval (seconds)' })).toHaveAttribute(
        'aria-invalid',
        'true',
      );
    },
  },
];

for (const scene of SCENES) {
  test(`axe: ${scene.name}, light and dark`, async ({ page, consoleErrors: _ }, testInfo) => {
    await openFixture(page, build, scene.scenario);
    await setTheme(page, 'light');
    await scene.setup(page);
    for (const theme of ['light', 'dark'] as const) {
      await setTheme(page, theme);
      await page.screenshot({ path: join(SCREENSHOTS, `a11y-${scene.name}-${theme}.png`), fullPage: true });
      await expectAccessible(page, `${scene.name}-${theme}`, testInfo);
    }
  });
}

// ---------------------------------------------------------------- 200 % zoom (WCAG 1.4.10 reflow)

/** Everything that would make a person scroll sideways: the page itself, a scrolling box,
 *  or anything drawn past the right edge. */
async function expectNoSidewaysScroll(page: Page, where: string): Promise<void> {
  const offenders = await page.evaluate(() => {
    const root = document.documentElement;
    const out: string[] = [];
    const name = (el: Element): string =>
      `${el.tagName.toLowerCase()}${el.className === '' ? '' : `.${String(el.className).split(' ').join('.')}`}`;
    if (root.scrollWidth > root.clientWidth)
      out.push(`the page: ${root.scrollWidth} > ${root.clientWidth} px`);
    for (const el of document.querySelectorAll('body *')) {
      const style = getComputedStyle(el);
      if ((style.overflowX === 'auto' || style.overflowX === 'scroll') && el.scrollWidth > el.clientWidth + 1)
        out.push(`${name(el)} scrolls sideways (${el.scrollWidth} > ${el.clientWidth} px)`);
      const box = el.getBoundingClientRect();
      if (box.width > 0 && box.right > root.clientWidth + 0.5)
        out.push(`${name(el)} ends at ${Math.round(box.right)} px of ${root.clientWidth}`);
    }
    return out;
  });
  expect(offenders, `sideways scrolling at ${where}`).toEqual([]);
}

/** The states with the widest content. */
const REFLOW_SCENES = [
  'calls-two-lines',
  'calls-merge',
  'calls-conference-not-controller',
  'calls-no-access',
  'dial-directory',
  'health-troubleshooter-problem',
  'calls-connected-and-ringing',
  'calls-ringing-send-to',
  'calls-transfer-panel',
  'calls-consultation',
  'calls-conference',
  'calls-link-down',
  'calls-forwarding-on',
  'notices',
  'dial-suggestions',
  'dial-new-favourite',
  'lines',
  'history',
  'health-degraded',
  'settings-errors',
  'help',
];

test.describe('200 % zoom', () => {
  // The 380 × 720 tray popup at 200 % is 190 × 360 CSS px; a 640 px window at 200 % is 320
  // CSS px, WCAG 1.4.10's yardstick. Device pixels double, as zooming does.
  test.use({ viewport: { width: 190, height: 360 }, deviceScaleFactor: 2 });

  for (const name of REFLOW_SCENES) {
    const scene = SCENES.find((s) => s.name === name);
    if (scene === undefined) throw new Error(`no scene ${name}`);
    test(`no sideways scrolling: ${name}`, async ({ page, consoleErrors: _ }, testInfo) => {
      await openFixture(page, build, scene.scenario);
      await setTheme(page, 'light');
      await scene.setup(page);
      for (const width of [320, 190]) {
        await page.setViewportSize({ width, height: 360 });
        await expectNoSidewaysScroll(page, `${width} CSS px`);
      }
      await page.screenshot({ path: join(SCREENSHOTS, `a11y-zoom200-${name}.png`), fullPage: true });
      await expectAccessible(page, `zoom200-${name}`, testInfo);
    });
  }
});

// ---------------------------------------------------------------- focus after every action

/** Focus is on `target` — and so, never on the page body. */
async function expectFocus(page: Page, target: Locator, after: string): Promise<void> {
  await expect(target, `focus after ${after}`).toBeFocused();
  expect(await page.evaluate(() => document.activeElement === document.body), after).toBe(false);
}

test('focus follows every action, from the keyboard, and never falls to the page body', async ({
  page,
  consoleErrors: _,
}) => {
  await openFixture(page, build);
  const heading = (name: string) => page.getByRole('heading', { level: 1, name });
  const card = (name: string) => page.getByRole('article', { name: `Call with ${name}` });

  // Dial: the new call's card.
  await page.keyboard.press('/');
  await page.keyboard.type('2002');
  await page.keyboard.press('Enter');
  await expectFocus(page, card('2002'), 'dialling');
  await page.evaluate(() => window.__deskFixture?.farEndAnswers());

  // Hold and Resume: the same button, renamed.
  await page.keyboard.press('Tab');
  await expectFocus(page, card('2002').getByRole('button', { name: 'Hold' }), 'Tab into the card');
  await page.keyboard.press('Enter');
  await expectFocus(page, card('2002').getByRole('button', { name: 'Resume' }), 'Hold');
  await page.keyboard.press('Enter');
  await expectFocus(page, card('2002').getByRole('button', { name: 'Hold' }), 'Resume');

  // Transfer panel: opened, closed with Escape (back to its button), consult first.
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expectFocus(page, card('2002').getByRole('textbox', { name: 'Transfer to' }), 'opening Transfer');
  await page.keyboard.press('Escape');
  await expectFocus(page, card('2002').getByRole('button', { name: 'Transfer', exact: true }), 'Escape');
  await page.keyboard.press('Enter');
  await page.keyboard.type('3003');
  await card('2002').getByRole('button', { name: 'Consult first' }).focus();
  await page.keyboard.press('Enter');
  const pair = page.getByRole('article', { name: 'Consultation with 3003, 2002 waiting' });
  await expectFocus(page, pair, 'Consult first');

  // Swap keeps focus on Swap; Back to returns to the first call's card.
  await pair.getByRole('button', { name: 'Swap' }).focus();
  await page.keyboard.press('Enter');
  await expectFocus(page, pair.getByRole('button', { name: 'Swap' }), 'Swap');
  await page.keyboard.press('Enter');
  await pair.getByRole('button', { name: 'Back to 2002' }).focus();
  await page.keyboard.press('Enter');
  await expectFocus(page, card('2002'), 'Back to');

  // A second call: hanging up the first moves focus to the other card, then to the heading.
  await page.evaluate(async () => {
    const desk = window.__deskFixture;
    const call = await desk?.handlers['desk.makeCall']({ number: '4000' });
    if (call !== undefined) desk?.farEndAnswers(call.callId);
  });
  await card('2002').getByRole('button', { name: 'Hang up' }).focus();
  await page.keyboard.press('Enter');
  await expectFocus(page, card('4000'), 'hanging up with another call left');

  // The far end hangs up while focus is on its card's button: the heading takes focus.
  await card('4000').getByRole('button', { name: 'Hold' }).focus();
  await page.evaluate(() => {
    const desk = window.__deskFixture;
    const call = desk?.state().calls[0];
    if (call !== undefined) desk?.farEndHangsUp(call.callId);
  });
  await expectFocus(page, heading('Calls'), 'the far end hanging up');

  // Answer: the answered call's card. Decline: the heading.
  await page.evaluate(() => window.__deskFixture?.ringIn('+14085550111', 'Bob Martin'));
  const ringing = page.getByRole('region', { name: 'Incoming call from Bob Martin' });
  await ringing.getByRole('button', { name: 'Answer' }).focus();
  await page.keyboard.press('Enter');
  await expectFocus(page, card('Bob Martin'), 'Answer');
  await page.evaluate(() => window.__deskFixture?.ringIn('3003'));
  await page
    .getByRole('region', { name: 'Incoming call from 3003' })
    .getByRole('button', { name: 'Decline' })
    .focus();
  await page.keyboard.press('Enter');
  await expectFocus(page, heading('Calls'), 'Decline');

  // A dismissed notice: the heading (no other notice).
  await page.evaluate(() => window.__deskFixture?.notice('warning', 'The phone is being restarted'));
  await page.getByRole('log', { name: 'Notices' }).getByRole('button', { name: 'Dismiss notice' }).focus();
  await page.keyboard.press('Enter');
  await expectFocus(page, heading('Calls'), 'dismissing a notice');

  // Choosing a line: the Calls heading.
  await page.keyboard.press('Alt+Digit3');
  await page.getByRole('button', { name: /^Sales hunt · 1050,/ }).focus();
  await page.keyboard.press('Enter');
  await expectFocus(page, heading('Calls'), 'choosing a line');

  // Call back from History: the new call's card. Clearing the history: the heading.
  await page.keyboard.press('Alt+Digit4');
  await page.getByRole('button', { name: 'Call back Carol Diaz' }).focus();
  await page.keyboard.press('Enter');
  await expectFocus(page, card('2002'), 'Call back');
  await page.keyboard.press('Alt+Digit4');
  await page.getByRole('button', { name: 'Clear history' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Confirm clear' }).focus();
  await page.keyboard.press('Enter');
  await expectFocus(page, heading('History'), 'clearing the history');

  // A new favourite: back to "Add to favourites".
  await page.keyboard.press('/');
  await page.keyboard.type('7007');
  await expect(page.getByRole('combobox', { name: 'Number or name' })).toHaveAccessibleDescription(
    'Dials 7007',
  );
  await page.getByRole('button', { name: 'Add to favourites' }).focus();
  await page.keyboard.press('Enter');
  await page.keyboard.type('Lab bench');
  await page.keyboard.press('Enter');
  await expectFocus(page, page.getByRole('button', { name: 'Add to favourites' }), 'saving a favourite');
});

test('axe: the page opened without the shell token', async ({ page, consoleErrors }, testInfo) => {
  if (build === undefined) throw new Error('renderer not built');
  consoleErrors.allow(/WebSocket connection/);
  await page.goto(`${build.server.origin}/`);
  await expect(page.getByRole('alert')).toContainText('Not connected to Deskline');
  await expectAccessible(page, 'not-connected', testInfo);
});
