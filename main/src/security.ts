// Security policy of the app's windows, as data and pure functions (tested without Electron):
// the app's own origin and who counts as it, the webPreferences every window gets, the CSP,
// what navigation, window.open and permission requests are allowed (nothing, mostly).
// Electron security checklist: https://www.electronjs.org/docs/latest/tutorial/security
import type { WebPreferences } from 'electron';

/** The renderer is served from this privileged custom scheme, never file:// (checklist §18):
 *  a precise origin to check senders against, and response headers we control. */
export const APP_SCHEME = 'deskline-app';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** The app pages' CSP (checklist §7). The same as renderer/index.html's meta minus the
 *  browser shell's WebSocket sources; sent as a header too, since frame-ancestors only works
 *  from a header (CSP3 §6.4.2). Both policies apply: the stricter wins. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
  "worker-src 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every response of the app protocol. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-cache',
};

/** The origins whose pages may call the API: ours, plus a development server when one is configured. */
export interface SenderPolicy {
  origins: ReadonlySet<string>;
}

export function senderPolicy(devServerUrl?: string): SenderPolicy {
  const origins = new Set([APP_ORIGIN]);
  if (devServerUrl !== undefined) {
    const origin = originOf(devServerUrl);
    // Only a loopback dev server: a remote page must never be granted the API.
    if (origin !== undefined && /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(origin))
      origins.add(origin);
  }
  return { origins };
}

/** scheme://host[:port] of a URL. Computed by hand because WHATWG URL gives "null" as the
 *  origin of a non-special scheme such as ours. Undefined for anything unparseable. */
export function originOf(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.host === '') return undefined;
  return `${parsed.protocol}//${parsed.host}`.toLowerCase();
}

/** The frame that sent an IPC message, reduced to what the check needs (Electron's WebFrameMain). */
export interface SenderFrameLike {
  readonly url: string;
  /** Null for a top-level frame. */
  readonly parent: unknown;
}

/** Why a sender is refused, or undefined when it is one of our pages (VS Code's habit: IPC checks who is calling). */
export function senderRefusal(
  frame: SenderFrameLike | null | undefined,
  policy: SenderPolicy,
): string | undefined {
  if (frame === null || frame === undefined) return 'no sender frame (navigated away or destroyed)';
  // Our pages have no iframes; a subframe is someone else's content.
  if (frame.parent !== null) return 'sent from a subframe';
  const origin = originOf(frame.url);
  if (origin === undefined || !policy.origins.has(origin)) return 'not an app page';
  return undefined;
}

/** The webPreferences of every window (checklist §2–§4, §6, §8, §12). */
export function secureWebPreferences(preloadPath: string, options: { devTools: boolean }): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
    // Developer tools in development builds only.
    devTools: options.devTools,
  };
}

/** What to do with a window.open or a link with target=_blank (checklist §14–§15): never a new
 *  window; a dial link dials; an https page opens in the user's browser; anything else is dropped. */
export type OpenDecision =
  { action: 'deny' } | { action: 'external'; url: string } | { action: 'dial'; url: string };

export function openDecision(url: string): OpenDecision {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { action: 'deny' };
  }
  switch (parsed.protocol) {
    case 'tel:':
    case 'callto:':
    case 'sip:':
    case 'sips:':
      return { action: 'dial', url };
    case 'https:':
      return { action: 'external', url: parsed.toString() };
    default:
      return { action: 'deny' };
  }
}

/** Navigation of an app window (will-navigate, will-redirect) stays on our pages (checklist §13). */
export function navigationAllowed(url: string, policy: SenderPolicy): boolean {
  const origin = originOf(url);
  return origin !== undefined && policy.origins.has(origin);
}

/** Permission requests (camera, notifications, geolocation, ...) are denied by default
 *  (checklist §5). Only writing to the clipboard (the UI's "copy number") is allowed, and
 *  only from our pages. */
export function permissionAllowed(permission: string, requestingUrl: string, policy: SenderPolicy): boolean {
  if (permission !== 'clipboard-sanitized-write') return false;
  return navigationAllowed(requestingUrl, policy);
}
