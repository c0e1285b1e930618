// axe-core in the Playwright suites (docs/ui.md §7): every screen and state is scanned with
// WCAG 2.0/2.1 A and AA rules, axe's best practices, and the rules axe ships disabled that
// matter here (a visible label inside the accessible name, text styled as a heading). A
// serious or critical violation fails the test; every violation of any impact is written to
// test-results/a11y/<name>.json, so the counts can be compared from run to run.
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, type TestInfo } from '@playwright/test';
import type { AxeResults, Result } from 'axe-core';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const A11Y_RESULTS = fileURLToPath(new URL('../../test-results/a11y/', import.meta.url));

/** Off by default in axe, on here (WCAG 2.5.3 Label in Name, 1.3.1, 1.3.4, focus order). */
const EXTRA_RULES = [
  'label-content-name-mismatch',
  'p-as-heading',
  'css-orientation-lock',
  'focus-order-semantics',
  'table-fake-caption',
  'td-has-header',
];

const FAILING_IMPACTS = new Set(['serious', 'critical']);

export interface AxeSummary {
  name: string;
  url: string;
  theme: string | null;
  violations: Array<{ id: string; impact: string | null; help: string; targets: string[] }>;
}

function summarise(name: string, theme: string | null, results: AxeResults): AxeSummary {
  return {
    name,
    url: results.url,
    theme,
    violations: results.violations.map((v: Result) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      targets: v.nodes.map((n) => n.target.map(String).join(' ')),
    })),
  };
}

const describe = (v: AxeSummary['violations'][number]): string =>
  `${v.impact ?? '?'} ${v.id}: ${v.help}\n    ${v.targets.join('\n    ')}`;

/**
 * Scans the page as it is now. Fails (softly, so one test reports every state it visits) on
 * any serious or critical violation. `name` identifies the screen and state in the results.
 */
export async function expectAccessible(page: Page, name: string, testInfo?: TestInfo): Promise<AxeSummary> {
  const results = await new AxeBuilder({ page })
    .options({ rules: Object.fromEntries(EXTRA_RULES.map((id) => [id, { enabled: true }])) })
    .analyze();
  const theme = await page.evaluate(() => document.documentElement.dataset.theme ?? null);
  const summary = summarise(name, theme, results);
  await mkdir(A11Y_RESULTS, { recursive: true });
  const file = `${name.replace(/[^a-z0-9-]+/gi, '-')}.json`;
  await writeFile(join(A11Y_RESULTS, file), `${JSON.stringify(summary, null, 2)}\n`);
  if (testInfo !== undefined && summary.violations.length > 0)
    await testInfo.attach(`axe-${file}`, {
      body: JSON.stringify(summary, null, 2),
      contentType: 'application/json',
    });
  const failing = summary.violations.filter((v) => FAILING_IMPACTS.has(v.impact ?? ''));
  expect.soft(failing.map(describe), `serious or critical axe violations on "${name}"`).toEqual([]);
  return summary;
}
