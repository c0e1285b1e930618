// Where the renderer's bridge comes from: in Electron the preload exposes one as
// window.deskline; in a plain browser (the browser shell) we build one over a WebSocket to
// the page's own origin, with the token the shell put in the page URL.
import type { DesklineBridge } from '../../../common/src/api/contract.js';
import { createWsBridge, shellSocketUrl, takeShellToken, type LinkState } from './ws-bridge.js';

declare global {
  interface Window {
    /** Exposed by the Electron preload (contextBridge); absent in the browser shell. */
    deskline?: DesklineBridge;
  }
}

/** What the UI holds: the bridge, plus the link to the host when there is one to watch. */
export interface HostBridge {
  bridge: DesklineBridge;
  /** Only the browser shell has a link that can drop; Electron IPC cannot. */
  link?: { current(): LinkState; onChange(listener: (state: LinkState) => void): () => void };
}

export type HostResolution = { ok: true; host: HostBridge } | { ok: false; reason: string };

export function resolveHostBridge(win: Window): HostResolution {
  if (win.deskline !== undefined) return { ok: true, host: { bridge: win.deskline } };
  const token = takeShellToken(win);
  if (token === null) {
    return {
      ok: false,
      reason:
        'This page needs the link printed by the Deskline shell (it carries a one-time token). Open Deskline from the tray or run the shell again.',
    };
  }
  const bridge = createWsBridge({ url: shellSocketUrl(win.location), token });
  return {
    ok: true,
    host: {
      bridge,
      link: { current: () => bridge.link, onChange: (listener) => bridge.onLinkChange(listener) },
    },
  };
}
