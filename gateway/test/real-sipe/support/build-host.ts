// Builds the C side of the real pidgin-sipe tests at run time, into a temporary directory:
//   sipe-host          the headless libpurple host (sipe-host.c)
//   libxml2-sax1-probe does this libxml2 call sipe's SAX1-style callbacks? (libxml2-sax1-probe.c)
//   libxml2-sax1-shim  the LD_PRELOAD library that restores them (libxml2-sax1-shim.c)
// with the system compiler and pkg-config. Nothing is installed here: `.ci/run` and
// scripts/ensure-system-deps.mjs install the Debian packages; a missing one fails the suite with
// its name.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

const SOURCES = fileURLToPath(new URL('./', import.meta.url));

/** Where Debian's pidgin-sipe puts its plugin (outside libpurple's default search path). */
export const SIPE_PLUGIN_DIR = '/usr/lib/purple-2';

/** The Debian packages the real-sipe tests need (kept in step with .ci/run and scripts/ensure-system-deps.mjs). */
export const SIPE_TEST_PACKAGES = [
  'pidgin-sipe',
  'libpurple-dev',
  'libglib2.0-dev',
  'libxml2-dev',
  'pkg-config',
  'gcc',
  'libc6-dev',
] as const;

export interface Libxml2Probe {
  /** xmlParserVersion, e.g. "20914". */
  readonly libxml2: string;
  readonly startElement: number;
  readonly endElement: number;
  readonly characters: number;
}

export interface SipeHostBuild {
  readonly dir: string;
  readonly host: string;
  /** Absolute path of the shim when this libxml2 needs it (the probe said so), else undefined. */
  readonly shim: string | undefined;
  /** What the probe saw without the shim, and with it. */
  readonly probe: { readonly plain: Libxml2Probe; readonly shimmed: Libxml2Probe };
  /** One paragraph for the test output: what the probe found and what was done about it. */
  readonly libxml2Report: string;
  dispose(): Promise<void>;
}

class MissingPackage extends Error {}

function missing(what: string, pkg: string, detail = '', cause?: unknown): MissingPackage {
  return new MissingPackage(
    `the real pidgin-sipe tests need ${what}: Debian package \`${pkg}\` is missing${detail === '' ? '' : ` (${detail})`}. ` +
      `Install the test peers with \`sudo apt-get install -y --no-install-recommends ${SIPE_TEST_PACKAGES.join(' ')}\` ` +
      `(or run \`node scripts/ensure-system-deps.mjs\`).`,
    { cause },
  );
}

async function pkgConfig(args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run('pkg-config', [...args]);
    return stdout.trim();
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT')
      throw missing('pkg-config', 'pkg-config', '', cause);
    throw cause;
  }
}

async function flagsOf(module: string, pkg: string): Promise<string[]> {
  try {
    return (await pkgConfig(['--cflags', '--libs', module])).split(/\s+/).filter((f) => f !== '');
  } catch (cause) {
    if (cause instanceof MissingPackage) throw cause;
    throw missing(
      `the ${module} development files`,
      pkg,
      `pkg-config --cflags --libs ${module} failed`,
      cause,
    );
  }
}

async function compile(args: readonly string[]): Promise<void> {
  try {
    await run('cc', [...args], { maxBuffer: 4 * 1024 * 1024 });
  } catch (cause) {
    const error = cause as NodeJS.ErrnoException & { stderr?: string };
    if (error.code === 'ENOENT') throw missing('a C compiler (cc)', 'gcc', '', cause);
    const stderr = error.stderr ?? '';
    if (/stdio\.h|crt1\.o|cannot find -lc\b/.test(stderr))
      throw missing('the C library headers', 'libc6-dev', stderr.split('\n')[0] ?? '', cause);
    throw new Error(`cc ${args.join(' ')} failed:\n${stderr}`, { cause });
  }
}

async function runProbe(probe: string, preload: string | undefined): Promise<Libxml2Probe> {
  const env = { ...process.env };
  if (preload === undefined) delete env['LD_PRELOAD'];
  else env['LD_PRELOAD'] = preload;
  const { stdout } = await run(probe, [], { env });
  return JSON.parse(stdout) as Libxml2Probe;
}

/** Compiles the host, the probe and the shim; runs the probe with and without the shim. */
export async function buildSipeHost(): Promise<SipeHostBuild> {
  if (!existsSync(join(SIPE_PLUGIN_DIR, 'libsipe.so')))
    throw missing('the sipe libpurple plugin', 'pidgin-sipe', `no ${SIPE_PLUGIN_DIR}/libsipe.so`);
  const purple = await flagsOf('purple', 'libpurple-dev');
  const glib = await flagsOf('glib-2.0', 'libglib2.0-dev');
  const libxml2 = await flagsOf('libxml-2.0', 'libxml2-dev');

  const dir = await mkdtemp(join(tmpdir(), 'deskline-real-sipe-'));
  try {
    const host = join(dir, 'sipe-host');
    const probe = join(dir, 'libxml2-sax1-probe');
    const shim = join(dir, 'libxml2-sax1-shim.so');
    const warnings = ['-Wall', '-Wextra', '-O1'];
    await Promise.all([
      compile([...warnings, '-o', host, join(SOURCES, 'sipe-host.c'), ...purple, ...glib]),
      compile([...warnings, '-o', probe, join(SOURCES, 'libxml2-sax1-probe.c'), ...libxml2]),
      compile([
        ...warnings,
        '-shared',
        '-fPIC',
        '-o',
        shim,
        join(SOURCES, 'libxml2-sax1-shim.c'),
        ...libxml2,
        '-ldl',
      ]),
    ]);
    const plain = await runProbe(probe, undefined);
    const shimmed = await runProbe(probe, shim);
    const needed = plain.startElement === 0;
    if (needed && shimmed.startElement === 0)
      throw new Error(
        `libxml2 ${plain.libxml2} does not call SAX1 startElement callbacks and the shim does not restore them: ` +
          `${JSON.stringify({ plain, shimmed })}`,
      );
    const libxml2Report = needed
      ? `libxml2 ${plain.libxml2}: a handler built like pidgin-sipe's (XML_SAX2_MAGIC, SAX1 startElement/endElement, ` +
        `no namespace callbacks) gets ${plain.startElement} startElement / ${plain.endElement} endElement calls ` +
        `(upstream libxml2: 2 / 2): sipe would parse no XML. Preloading libxml2-sax1-shim.so ` +
        `(with it: ${shimmed.startElement} / ${shimmed.endElement}).`
      : `libxml2 ${plain.libxml2} calls pidgin-sipe's SAX1 callbacks (${plain.startElement} startElement / ` +
        `${plain.endElement} endElement): no shim needed.`;
    return {
      dir,
      host,
      shim: needed ? shim : undefined,
      probe: { plain, shimmed },
      libxml2Report,
      dispose: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (cause) {
    await rm(dir, { recursive: true, force: true });
    throw cause;
  }
}
