// The app protocol (deskline-app://app/...): serves the built renderer from one directory,
// with the security headers on every response. Strict like any file server facing content
// it does not control: GET only, our host only, no traversal, no dotfiles, no symlinks out
// of the root, a fixed MIME table (anything unknown is refused rather than sniffed).
import { readFile, realpath } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import { APP_HOST, APP_SCHEME, SECURITY_HEADERS } from './security.js';
import { MIME_TYPES } from '../../host/src/shell/static-files.js';

export type AssetResolution =
  { ok: true; relative: string; contentType: string } | { ok: false; status: 400 | 403 | 404 | 405 };

/** Maps a request to a file relative to the renderer root, or the status to answer. */
export function resolveAppAsset(method: string, url: string): AssetResolution {
  if (method !== 'GET' && method !== 'HEAD') return { ok: false, status: 405 };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, status: 400 };
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return { ok: false, status: 403 };
  let path: string;
  try {
    path = decodeURIComponent(parsed.pathname);
  } catch {
    return { ok: false, status: 400 };
  }
  if (path.includes('\0') || path.includes('\\')) return { ok: false, status: 400 };
  const segments = path.split('/').filter((segment) => segment !== '');
  // No "..", no ".", no dotfiles.
  if (segments.some((segment) => segment.startsWith('.'))) return { ok: false, status: 404 };
  const relative = segments.length === 0 ? 'index.html' : segments.join('/');
  const contentType = MIME_TYPES[extname(relative).toLowerCase()];
  if (contentType === undefined) return { ok: false, status: 404 };
  return { ok: true, relative, contentType };
}

function plain(status: number, text: string): Response {
  return new Response(`${text}\n`, {
    status,
    headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' },
  });
}

/** The protocol.handle() handler over a renderer directory. */
export async function serveAppRequest(
  request: { method: string; url: string },
  rootDir: string,
): Promise<Response> {
  const resolved = resolveAppAsset(request.method, request.url);
  if (!resolved.ok)
    return plain(resolved.status, resolved.status === 405 ? 'method not allowed' : 'not found');
  try {
    const root = await realpath(rootDir);
    const file = await realpath(join(root, resolved.relative));
    // A symlink inside the root must not lead out of it.
    if (file !== root && !file.startsWith(root + sep)) return plain(404, 'not found');
    const body = await readFile(file);
    return new Response(request.method === 'HEAD' ? null : body, {
      status: 200,
      headers: {
        ...SECURITY_HEADERS,
        'Content-Type': resolved.contentType,
        'Content-Length': String(body.length),
      },
    });
  } catch {
    return plain(404, 'not found');
  }
}
