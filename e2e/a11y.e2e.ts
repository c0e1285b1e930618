// Accessibility of every screen and state, in both themes (docs/ui.md §7): axe-core with no
// serious or critical violation; no horizontal scrolling at 200 % zoom; and focus that never
// falls to the page body after an action. The renderer runs against the in-page fixture desk
// (e2e/support/fixture-page.ts), so each state is reached directly and deterministically.
// Screenshots of every scene: test-results/screenshots/a11y-<scene>-<theme>.png.
import type { Page } from '@playwright/test';
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
      await page.getByRole('combobox').fill('serv');
      await page.getByRole('combobox').press('ArrowDown');
      await expect(page.getByRole('option', { selected: true })).toBeVisible();
    },
  },
  {
    name: 'dial-invalid',
    async setup(page) {
      await goTo(page, 'Dial');
      await page.getByRole('combobox').fill('abc');
      await expect(page.getByRole('combobox')).toHaveAttribute('aria-invalid', 'true');
    },
  },
  {
    name: 'dial-new-favourite',
    async setup(page) {
      await goTo(page, 'Dial');
      await page.getByRole('combobox').fill('7007');
      await expect(page.getByRole('combobox')).toHaveAccessibleDescription(/^Dials/);
      await page.getByRole('button', { name: 'Add to favourites' }).click();
      await expect(page.getByRole('textbox', { name: /^Name for/ })).toBeFocused();
    },
  },
  {
    name: 'dial-no-line',
    scenario: 'empty',
    async setup(page) {
      await goTo(page, 'Dial');
      await page.getByRole('combobox').fill('1234');
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

for (const theme of ['light', 'dark'] as const) {
  test.describe(`${theme} theme`, () => {
    for (const scene of SCENES) {
      test(`axe: ${scene.name}`, async ({ page, consoleErrors: _ }, testInfo) => {
        await openFixture(page, build, scene.scenario);
        await setTheme(page, theme);
        await scene.setup(page);
        await page.screenshot({ path: join(SCREENSHOTS, `a11y-${scene.name}-${theme}.png`), fullPage: true });
        await expectAccessible(page, `${scene.name}-${theme}`, testInfo);
      });
    }
  });
}

test('axe: the page opened without the shell token', async ({ page, consoleErrors }, testInfo) => {
  if (build === undefined) throw new Error('renderer not built');
  consoleErrors.allow(/WebSocket connection/);
  await page.goto(`${build.server.origin}/`);
  await expect(page.getByRole('alert')).toContainText('Not connected to Deskline');
  await expectAccessible(page, 'not-connected', testInfo);
});
