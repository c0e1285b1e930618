#!/usr/bin/env node
// Draws Deskline's icons from SVG with Chromium (Debian's /usr/bin/chromium, or CHROMIUM_PATH)
// through Playwright, and writes the PNGs that are committed under build/:
//   build/icon.png                 1024×1024 app icon (electron-builder makes .icns/.ico from it)
//   build/icons/<N>x<N>.png        16, 32, 48, 64, 128, 256, 512 (Linux hicolor icon set)
//   build/tray/tray-<state>.png    16×16 tray icons, with @2x (32×32) beside each
//   build/tray/tray-<state>-missed.png  the same with the red dot of missed calls not yet seen
// Run: node scripts/make-icons.mjs   (only when the artwork changes; the output is committed)
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(root, 'build');

/** A desk-phone handset in a 24×24 box: earpiece top left, mouthpiece bottom right. */
const HANDSET =
  'M7.2 3.2c.6-.4 1.4-.3 1.9.3l1.9 2.5c.4.6.4 1.4-.1 1.9l-1.3 1.3c-.3.3-.4.8-.2 1.2.9 1.9 2.4 3.5 4.3 4.4.4.2.9.1 1.2-.2l1.3-1.3c.5-.5 1.3-.6 1.9-.1l2.5 1.9c.6.5.8 1.3.3 1.9l-1.2 1.7c-.8 1.1-2.2 1.6-3.5 1.2C10.9 18.4 5.6 13.1 4 7.8c-.4-1.3.1-2.7 1.2-3.5z';

const STATES = {
  'no-line': { fill: '#6b7280', badge: 'question' },
  idle: { fill: '#0f766e' },
  ringing: { fill: '#d97706', badge: 'waves' },
  'on-call': { fill: '#15803d' },
  'on-hold': { fill: '#1d4ed8', badge: 'pause' },
  'cti-degraded': { fill: '#0f766e', badge: 'warning' },
  'cti-down': { fill: '#b91c1c', badge: 'cross' },
};

function badge(kind) {
  switch (kind) {
    case undefined:
      return '';
    case 'waves':
      return '<path d="M15 3.5a6 6 0 0 1 5.5 5.5M15 7a2.6 2.6 0 0 1 2 2" fill="none" stroke="#fff" stroke-width="2" stroke-linecap="round"/>';
    case 'pause':
      return '<circle cx="18" cy="18" r="5.5" fill="#fff"/><rect x="15.6" y="15.2" width="1.7" height="5.6" rx=".5" fill="#1d4ed8"/><rect x="18.7" y="15.2" width="1.7" height="5.6" rx=".5" fill="#1d4ed8"/>';
    case 'warning':
      return '<path d="M18 12.2l5.6 10H12.4z" fill="#facc15" stroke="#fff" stroke-width="1" stroke-linejoin="round"/><rect x="17.3" y="15.4" width="1.4" height="3.6" rx=".6" fill="#111"/><circle cx="18" cy="20.6" r=".8" fill="#111"/>';
    case 'cross':
      return '<circle cx="18" cy="18" r="5.5" fill="#fff"/><path d="M15.8 15.8l4.4 4.4M20.2 15.8l-4.4 4.4" stroke="#b91c1c" stroke-width="1.8" stroke-linecap="round"/>';
    case 'question':
      return '<circle cx="18" cy="18" r="5.5" fill="#fff"/><path d="M16.3 16.6a1.8 1.8 0 1 1 2.6 1.6c-.6.3-.9.7-.9 1.3" fill="none" stroke="#6b7280" stroke-width="1.5" stroke-linecap="round"/><circle cx="18" cy="21.3" r=".85" fill="#6b7280"/>';
    default:
      throw new Error(`unknown badge ${kind}`);
  }
}

/** The missed-call dot: top right, red with a white ring so it reads on the disc and the panel. */
const MISSED_DOT = '<circle cx="19" cy="5" r="4.6" fill="#dc2626" stroke="#fff" stroke-width="1.4"/>';

/** A tray icon: a filled disc (legible on dark and light panels) with the white handset. */
function traySvg({ fill, badge: kind }, missed = false) {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">
  <circle cx="12" cy="12" r="11.5" fill="${fill}"/>
  <g transform="translate(12 12) scale(0.78) translate(-12 -11.5)"><path d="${HANDSET}" fill="#fff"/></g>
  ${badge(kind)}
  ${missed ? MISSED_DOT : ''}
</svg>`;
}

/** The app icon: a rounded square with a teal gradient and the handset. */
function appSvg() {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">
  <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
    <stop offset="0" stop-color="#14b8a6"/><stop offset="1" stop-color="#0f5e6e"/>
  </linearGradient></defs>
  <rect x="2" y="2" width="60" height="60" rx="14" fill="url(#g)"/>
  <rect x="2" y="2" width="60" height="60" rx="14" fill="none" stroke="#0b4954" stroke-opacity=".35" stroke-width="1"/>
  <g transform="translate(10.4 10) scale(1.8)"><path d="${HANDSET}" fill="#fff"/></g>
</svg>`;
}

async function render(page, svg, size) {
  await page.setViewportSize({ width: size, height: size });
  await page.setContent(
    `<!doctype html><html><body style="margin:0;background:transparent">
     <img src="data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}" width="${size}" height="${size}" style="display:block"></body></html>`,
  );
  await page.locator('img').evaluate((img) => img.decode());
  return page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
}

async function main() {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ deviceScaleFactor: 1 });
    await mkdir(join(buildDir, 'icons'), { recursive: true });
    await mkdir(join(buildDir, 'tray'), { recursive: true });
    await writeFile(join(buildDir, 'icon.png'), await render(page, appSvg(), 1024));
    for (const size of [16, 32, 48, 64, 128, 256, 512]) {
      await writeFile(join(buildDir, 'icons', `${size}x${size}.png`), await render(page, appSvg(), size));
    }
    for (const [state, style] of Object.entries(STATES)) {
      for (const [suffix, missed] of [
        ['', false],
        ['-missed', true],
      ]) {
        const name = `tray-${state}${suffix}`;
        await writeFile(
          join(buildDir, 'tray', `${name}.png`),
          await render(page, traySvg(style, missed), 16),
        );
        await writeFile(
          join(buildDir, 'tray', `${name}@2x.png`),
          await render(page, traySvg(style, missed), 32),
        );
      }
    }
    console.log('icons written to build/');
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(`make-icons failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
