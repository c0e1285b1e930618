import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveAppAsset, serveAppRequest } from '../src/app-protocol.js';
import {
  APP_ENTRY_URL,
  CONTENT_SECURITY_POLICY,
  navigationAllowed,
  openDecision,
  originOf,
  permissionAllowed,
  secureWebPreferences,
  senderPolicy,
} from '../src/security.js';

const policy = senderPolicy();

describe('window security settings', () => {
  it('every window is isolated, sandboxed, without Node, with web security', () => {
    const prefs = secureWebPreferences('/app/dist/main/preload.cjs', { devTools: false });
    expect(prefs).toMatchObject({
      preload: '/app/dist/main/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      devTools: false,
    });
  });

  it('the CSP allows only our own scripts and styles, no framing, no plugins', () => {
    const directives = new Map(
      CONTENT_SECURITY_POLICY.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]),
    );
    expect(directives.get('default-src')).toBe("'self'");
    expect(directives.get('script-src')).toBe("'self'");
    expect(directives.get('object-src')).toBe("'none'");
    expect(directives.get('frame-ancestors')).toBe("'none'");
    expect(directives.get('base-uri')).toBe("'none'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-(inline|eval)/);
  });

  it('origins are computed for our non-special scheme too', () => {
    expect(originOf(APP_ENTRY_URL)).toBe('deskline-app://app');
    expect(originOf('DESKLINE-APP://APP/x')).toBe('deskline-app://app');
    expect(originOf('http://127.0.0.1:5173/x')).toBe('http://127.0.0.1:5173');
    expect(originOf('file:///etc/passwd')).toBeUndefined();
    expect(originOf('garbage')).toBeUndefined();
  });

  it('navigation stays on our pages', () => {
    expect(navigationAllowed(`${APP_ENTRY_URL}?x=1`, policy)).toBe(true);
    expect(navigationAllowed('https://example.com/', policy)).toBe(false);
    expect(navigationAllowed('file:///tmp/index.html', policy)).toBe(false);
    expect(navigationAllowed('javascript:alert(1)', policy)).toBe(false);
  });

  it('window.open: never a window; dial links dial, https opens in the browser, the rest is dropped', () => {
    expect(openDecision('tel:+14085551234')).toEqual({ action: 'dial', url: 'tel:+14085551234' });
    expect(openDecision('sip:1001@example.com')).toMatchObject({ action: 'dial' });
    expect(openDecision('https://www.example.com/help')).toEqual({
      action: 'external',
      url: 'https://www.example.com/help',
    });
    for (const url of [
      'http://example.com',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://host/share',
      'ms-msdt:/id',
      'not a url',
    ]) {
      expect(openDecision(url), url).toEqual({ action: 'deny' });
    }
  });

  it('permissions are denied except clipboard writes from our pages', () => {
    for (const permission of [
      'media',
      'geolocation',
      'notifications',
      'openExternal',
      'clipboard-read',
      'hid',
      'unknown',
    ]) {
      expect(permissionAllowed(permission, APP_ENTRY_URL, policy), permission).toBe(false);
    }
    expect(permissionAllowed('clipboard-sanitized-write', APP_ENTRY_URL, policy)).toBe(true);
    expect(permissionAllowed('clipboard-sanitized-write', 'https://evil.example/', policy)).toBe(false);
  });
});

describe('the app protocol', () => {
  let root: string;
  let outside: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'deskline-renderer-'));
    outside = await mkdtemp(join(tmpdir(), 'deskline-outside-'));
    await mkdir(join(root, 'assets'));
    await writeFile(join(root, 'index.html'), '<!doctype html><title>Deskline</title>');
    await writeFile(join(root, 'assets', 'app.js'), 'console.log(1)');
    await writeFile(join(root, '.env'), 'SECRET=1');
    await writeFile(join(outside, 'secret.js'), 'secret');
    await symlink(join(outside, 'secret.js'), join(root, 'assets', 'link.js'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('maps paths and refuses traversal, dotfiles, other hosts, unknown types and methods', () => {
    expect(resolveAppAsset('GET', 'deskline-app://app/')).toEqual({
      ok: true,
      relative: 'index.html',
      contentType: 'text/html; charset=utf-8',
    });
    expect(resolveAppAsset('GET', 'deskline-app://app/assets/app.js?v=1#x')).toMatchObject({
      ok: true,
      relative: 'assets/app.js',
    });
    expect(resolveAppAsset('GET', 'deskline-app://app/%2e%2e/%2e%2e/etc/passwd')).toEqual({
      ok: false,
      status: 404,
    });
    expect(resolveAppAsset('GET', 'deskline-app://app/assets/..%2f..%2fsecret.js')).toEqual({
      ok: false,
      status: 404,
    });
    expect(resolveAppAsset('GET', 'deskline-app://app/.env')).toEqual({ ok: false, status: 404 });
    expect(resolveAppAsset('GET', 'deskline-app://app/a%5cb.js')).toEqual({ ok: false, status: 400 });
    expect(resolveAppAsset('GET', 'deskline-app://app/x%00.js')).toEqual({ ok: false, status: 400 });
    expect(resolveAppAsset('GET', 'deskline-app://app/%E0%A4%A')).toEqual({ ok: false, status: 400 });
    expect(resolveAppAsset('GET', 'deskline-app://other/index.html')).toEqual({ ok: false, status: 403 });
    expect(resolveAppAsset('GET', 'deskline-app://app/run.exe')).toEqual({ ok: false, status: 404 });
    expect(resolveAppAsset('POST', 'deskline-app://app/index.html')).toEqual({ ok: false, status: 405 });
  });

  it('serves files with the CSP and nosniff headers', async () => {
    const response = await serveAppRequest({ method: 'GET', url: APP_ENTRY_URL }, root);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toContain('<title>Deskline</title>');
    const head = await serveAppRequest({ method: 'HEAD', url: 'deskline-app://app/assets/app.js' }, root);
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('a symlink out of the root, a missing file and a refused path all answer 404 with the headers', async () => {
    for (const url of [
      'deskline-app://app/assets/link.js',
      'deskline-app://app/missing.js',
      'deskline-app://app/.env',
    ]) {
      const response = await serveAppRequest({ method: 'GET', url }, root);
      expect(response.status, url).toBe(404);
      expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    }
    expect((await serveAppRequest({ method: 'DELETE', url: APP_ENTRY_URL }, root)).status).toBe(405);
  });
});
