#!/usr/bin/env node
// The test suite drives real peers: Debian's Chromium (Playwright e2e), SIPp (sip-tester),
// Kamailio (the load balancer), OpenLDAP (slapd and ldap-utils, the directory tests) and
// pidgin-sipe (the real Microsoft RCC client, run by a small libpurple host that
// gateway/test/real-sipe builds with the C compiler and pkg-config). This checks they are
// present and, when it can
// (root, or password-less sudo), installs the missing ones with apt-get; otherwise it
// fails loudly naming the command to run. Nothing here is silent: a missing peer is
// never a passing test.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const NEEDED = [
  { pkg: 'chromium', probe: '/usr/bin/chromium' },
  { pkg: 'sip-tester', probe: '/usr/bin/sipp' },
  { pkg: 'kamailio', probe: '/usr/sbin/kamailio' },
  { pkg: 'kamailio-websocket-modules', probe: '/usr/lib/x86_64-linux-gnu/kamailio/modules/websocket.so' },
  { pkg: 'kamailio-tls-modules', probe: '/usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so' },
  { pkg: 'openssl', probe: '/usr/bin/openssl' },
  { pkg: 'slapd', probe: '/usr/sbin/slapd' },
  { pkg: 'ldap-utils', probe: '/usr/bin/ldapadd' },
  // gateway/test/real-sipe: the sipe plugin, and what building its libpurple host needs.
  { pkg: 'pidgin-sipe', probe: '/usr/lib/purple-2/libsipe.so' },
  { pkg: 'libpurple-dev', probe: '/usr/include/libpurple/purple.h' },
  { pkg: 'libglib2.0-dev', probe: '/usr/include/glib-2.0/glib.h' },
  { pkg: 'libxml2-dev', probe: '/usr/include/libxml2/libxml/parser.h' },
  { pkg: 'pkg-config', probe: '/usr/bin/pkg-config' },
  { pkg: 'gcc', probe: '/usr/bin/gcc' },
  { pkg: 'libc6-dev', probe: '/usr/include/stdio.h' },
];

function isInstalled({ pkg, probe }) {
  if (existsSync(probe)) return true;
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

const missing = NEEDED.filter((n) => !isInstalled(n)).map((n) => n.pkg);
if (missing.length === 0) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const sudoOk = !isRoot && spawnSync('sudo', ['-n', 'true']).status === 0;
const cmd = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
if (!isRoot && !sudoOk) {
  console.error(`deskline tests need Debian packages that are missing: ${missing.join(', ')}`);
  console.error(`install them with:  sudo sh -c '${cmd}'`);
  process.exit(1);
}
console.log(`installing test peers: ${missing.join(', ')}`);
const prefix = isRoot ? [] : ['sudo', '-n'];
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync(prefix[0] ?? 'sh', [...prefix.slice(1), ...(prefix.length ? ['sh'] : []), '-c', cmd], {
  stdio: 'inherit',
  env,
});
