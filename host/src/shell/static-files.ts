// Serves the built renderer (dist/renderer) to the browser shell. Small and strict: GET
// and HEAD only, a fixed MIME table, no directory listings, no dotfiles, and a path is
// served only if it resolves (symlinks included) inside the root.
import { readFile, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { DesklineError, ErrorCode } from '../../../gateway/src/index.js';

/** The renderer's CSP (the same as renderer/index.html's meta). Sent as a header too, because
 *  `frame-ancestors` only works from a header (CSP3 §6.4.2: ignored in a meta element). */
export const SHELL_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; " +
  "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** Headers on every HTTP response of the shell, files and errors alike. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': SHELL_CSP,
  'X-Content-Type-Options': 'nosniff',
  // The page URL carries the token until the renderer strips it: never send it onwards.
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** The fixed MIME table of the UI's files (shared with Electron's app protocol): anything
 *  else is refused rather than sniffed. */
export const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Files above this are not the renderer's; refuse rather than buffer them. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

export type StaticHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export function sendPlain(
  res: ServerResponse,
  status: number,
  text: string,
  extra: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = Buffer.from(`${text}\n`, 'utf8');
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(body.length),
    'Cache-Control': 'no-store',
    ...extra,
  });
  res.end(body);
}

/** Maps a request target to a path relative to the root, or a status code to answer with. */
export function requestPathToRelative(
  target: string,
): { ok: true; relative: string } | { ok: false; status: 400 | 404 } {
  const query = target.search(/[?#]/);
  const rawPath = query === -1 ? target : target.slice(0, query);
  if (!rawPath.startsWith('/')) return { ok: false, status: 400 };
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { ok: false, status: 400 };
  }
  // Backslashes and NULs have no business in a URL path; on Windows a backslash is a separator.
  if (decoded.includes('\0') || decoded.includes('\\')) return { ok: false, status: 400 };
  const segments = decoded.split('/').filter((segment) => segment.length > 0);
  // No traversal (".."), no "." games, no dotfiles.
  if (segments.some((segment) => segment.startsWith('.'))) return { ok: false, status: 404 };
  const relative = segments.length === 0 ? 'index.html' : segments.join('/');
  return { ok: true, relative };
}

export async function createStaticHandler(staticDir: string): Promise<StaticHandler> {
  let root: string;
  try {
    root = await realpath(resolve(staticDir));
    if (!(await stat(root)).isDirectory()) throw new Error('not a directory');
  } catch (cause) {
    throw new DesklineError(
      ErrorCode.ConfigInvalid,
      'shell: staticDir is not a readable directory (build the renderer first)',
      {
        cause,
      },
    );
  }
  const rootPrefix = root.endsWith(sep) ? root : root + sep;

  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendPlain(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
      return;
    }
    const mapped = requestPathToRelative(req.url ?? '/');
    if (!mapped.ok) {
      sendPlain(res, mapped.status, mapped.status === 400 ? 'bad request' : 'not found');
      return;
    }
    const type = MIME_TYPES[extname(mapped.relative).toLowerCase()];
    if (type === undefined) {
      sendPlain(res, 404, 'not found');
      return;
    }
    let body: Buffer;
    try {
      const real = await realpath(resolve(root, mapped.relative));
      // Checked after realpath so a symlink cannot lead out of the root either.
      if (!real.startsWith(rootPrefix)) {
        sendPlain(res, 404, 'not found');
        return;
      }
      const info = await stat(real);
      if (!info.isFile() || info.size > MAX_FILE_BYTES) {
        sendPlain(res, 404, 'not found');
        return;
      }
      body = await readFile(real);
    } catch {
      sendPlain(res, 404, 'not found');
      return;
    }
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': type,
      'Content-Length': String(body.length),
      // index.html names the hashed assets: always revalidate it; the assets may be cached.
      'Cache-Control': mapped.relative === 'index.html' ? 'no-store' : 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
