// WCAG 2.1 AA contrast (§1.4.3 text 4.5:1; §1.4.11 non-text 3:1) of every text colour the
// stylesheet puts on every background it puts it on, in both themes. The colours are read
// from renderer/src/styles/app.css itself, so a changed variable is checked at once; axe in
// the Playwright suite (e2e/a11y.e2e.ts) checks the rendered screens on top of this.
import { describe, expect, it } from 'vitest';
// Vite's ?raw import: the stylesheet's text (renderer/ code has no Node file access).
import CSS from '../src/styles/app.css?raw';

function themeVariables(selector: RegExp): Record<string, string> {
  const block = selector.exec(CSS);
  if (block?.[1] === undefined) throw new Error(`no theme block for ${selector.source}`);
  const vars: Record<string, string> = {};
  for (const match of block[1].matchAll(/--([a-z0-9-]+):\s*(#[0-9a-f]{6})\s*;/gi))
    vars[match[1] as string] = (match[2] as string).toLowerCase();
  return vars;
}

const THEMES = {
  light: themeVariables(/:root,\s*html\[data-theme='light'\]\s*\{([^}]*)\}/),
  dark: themeVariables(/html\[data-theme='dark'\]\s*\{([^}]*)\}/),
};

/** WCAG 2.1 relative luminance of an sRGB colour (#rrggbb). */
function luminance(hex: string): number {
  const channel = (i: number): number => {
    const c = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}

export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** [text colour, background, where] — every pairing app.css makes (a variable, or a literal colour). */
const TEXT_ON: ReadonlyArray<[string, string, string]> = [
  ['text', 'bg', 'body'],
  ['text', 'surface', 'cards, fields, header'],
  ['text', 'surface-2', 'panels, conference parties'],
  ['text', 'good-soft', 'ringing card'],
  ['text', 'warn-soft', 'warning callout and notice'],
  ['text', 'bad-soft', 'error notice'],
  ['text', 'accent-soft', 'chosen line, suggestion'],
  ['muted', 'bg', 'hints, empty states'],
  ['muted', 'surface', 'numbers, tabs, meta'],
  ['muted', 'surface-2', 'party state, quiet button on a panel'],
  ['muted', 'good-soft', 'number on the ringing card'],
  ['muted', 'warn-soft', 'reason in a warning callout'],
  ['muted', 'bad-soft', 'repeat count on an error notice'],
  ['muted', 'accent-soft', 'device on the chosen line'],
  ['accent', 'surface', 'current tab, links, shared line'],
  ['accent', 'bg', 'no-line chip'],
  ['accent', 'accent-soft', 'chosen line, segmented choice'],
  ['accent-text', 'accent', 'primary button, tab count'],
  ['good', 'surface', 'connected state'],
  ['good', 'good-soft', 'ringing label, session ready'],
  ['good-text', 'good', 'Call and Answer buttons'],
  ['warn', 'surface', 'held state'],
  ['warn', 'warn-soft', 'warning badge, degraded banner'],
  ['bad', 'surface', 'failed call reason, line reason, field error, node error'],
  ['bad', 'bg', 'dial box hint, missed call'],
  ['bad', 'bad-soft', 'danger button, down banner'],
  ['bad', 'surface-2', 'why an unavailable line cannot be chosen'],
  ['accent', 'surface-2', 'shared line, on an unavailable line'],
  ['text', 'warn-soft', 'the note on a call while the link is down'],
  ['bad-text', 'bad', 'danger button hovered, missed count'],
];

/** Non-text: focus ring, state bars, switch track, the CTI dot (§1.4.11: 3:1 against their neighbours). */
const UI_ON: ReadonlyArray<[string, string, string]> = [
  ['focus', 'bg', 'focus ring'],
  ['focus', 'surface', 'focus ring in a card'],
  ['good', 'surface', 'connected bar, dot'],
  ['warn', 'surface', 'held bar, dot'],
  ['bad', 'surface', 'down bar, dot'],
  ['accent', 'surface', 'switch on, chosen line border'],
  ['control-border', 'surface', 'text field border, switch off'],
];

describe.each(Object.entries(THEMES))('the %s theme', (_name, vars) => {
  const colour = (name: string): string => {
    const value = vars[name];
    if (value === undefined) throw new Error(`--${name} is not defined`);
    return value;
  };

  it.each(TEXT_ON)('text --%s on --%s (%s) is at least 4.5:1', (fg, bg) => {
    expect(contrast(colour(fg), colour(bg))).toBeGreaterThanOrEqual(4.5);
  });

  it.each(UI_ON)('--%s against --%s (%s) is at least 3:1', (fg, bg) => {
    expect(contrast(colour(fg), colour(bg))).toBeGreaterThanOrEqual(3);
  });
});

describe('the stylesheet', () => {
  it('dims nothing that carries text with opacity (it would lower every contrast above)', () => {
    // Disabled controls are exempt (WCAG 1.4.3 "incidental"): only they may be dimmed.
    const dimmed = [...CSS.matchAll(/([^{}]+)\{[^}]*\bopacity:\s*0?\.\d+/g)].map((m) =>
      (m[1] as string).trim(),
    );
    for (const selector of dimmed)
      expect(selector, `opacity on ${selector}`).toMatch(
        /aria-disabled='true'|aria-busy='true'|^\.segmented-option input$/,
      );
  });

  it('uses no colour literal for text outside the theme blocks', () => {
    const outside = CSS.replace(/:root,\s*html\[data-theme='light'\]\s*\{[^}]*\}/, '').replace(
      /html\[data-theme='dark'\]\s*\{[^}]*\}/,
      '',
    );
    expect([...outside.matchAll(/(?<![-\w])color:\s*(#[0-9a-f]{3,8})/gi)].map((m) => m[1])).toEqual([]);
  });
});
