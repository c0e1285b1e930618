// A real OpenLDAP server for the directory tests (docs/directory.md §8): Debian's slapd, started on
// 127.0.0.1 with a throwaway slapd.conf, database and PKI in a temporary directory.
//
// - Schema: core, cosine, inetorgperson, nis, plus test-schema.ldif-free `deskline-test.schema`
//   written here: the msRTCSIP-* attributes of Lync / Skype for Business, and the few Active
//   Directory attributes the provider's AD defaults use (sAMAccountName, objectCategory,
//   userAccountControl) on an auxiliary class `user`. OIDs sit under 1.3.6.1.4.1.32473, the
//   enterprise number RFC 5612 reserves for documentation.
// - memberOf: slapd's memberof overlay keeps it, as Active Directory does.
// - TLS: a CA and a server certificate (SAN IP:127.0.0.1, DNS:localhost) generated with openssl at
//   start, plus an unrelated CA for the "wrong CA" tests. Listens on ldap:// (StartTLS) and ldaps://.
// - Paging: the gateway's bind identity may read 100 entries per unpaged search, and any number in
//   pages, so a test with more users than that proves the provider pages.
// - Data goes in through ldapadd / ldapmodify / ldapdelete (ldap-utils): another LDAP client than
//   the one under test, and the memberof overlay sees every change.
// Every process started is killed when the test process exits (cluster/processes.ts).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Child, freePort, waitForListener } from '../cluster/processes.js';

export const BASE_DN = 'dc=deskline,dc=test';
export const PEOPLE_DN = `ou=people,${BASE_DN}`;
export const GROUPS_DN = `ou=groups,${BASE_DN}`;
export const LICENCE_GROUP_DN = `cn=rcc-users,${GROUPS_DN}`;
/** The same members as a posixGroup (memberUid = user IDs). */
export const POSIX_GROUP_DN = `cn=rcc-posix,${GROUPS_DN}`;
export const GATEWAY_BIND_DN = `cn=gateway,ou=services,${BASE_DN}`;
/** The gateway's unpaged size limit (paging beyond it). */
export const UNPAGED_SIZE_LIMIT = 100;

export interface TestUser {
  /** uid and sAMAccountName. */
  readonly uid: string;
  readonly displayName: string;
  readonly sipUri?: string;
  readonly lineUri?: string;
  readonly lineServer?: string;
  readonly optionFlags?: number;
  readonly telephoneNumber?: string;
  readonly mobile?: string;
  /** Member of the licence groups. */
  readonly licensed?: boolean;
  /** userAccountControl 514 (ACCOUNTDISABLE) instead of 512. */
  readonly disabled?: boolean;
  /** Default PEOPLE_DN. */
  readonly ou?: string;
}

export const userDn = (uid: string, ou: string = PEOPLE_DN): string => `uid=${uid},${ou}`;

const SCHEMA = `# Deskline test schema: Lync / Skype for Business user attributes and a few Active Directory ones.
attributetype ( 1.3.6.1.4.1.32473.1.1.1 NAME 'msRTCSIP-PrimaryUserAddress'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.32473.1.1.2 NAME 'msRTCSIP-Line'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.32473.1.1.3 NAME 'msRTCSIP-LineServer'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.32473.1.1.4 NAME 'msRTCSIP-OptionFlags'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.32473.1.1.5 NAME 'sAMAccountName'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.32473.1.1.6 NAME 'objectCategory'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.32473.1.1.7 NAME 'userAccountControl'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.32473.1.2.1 NAME 'user' SUP top AUXILIARY
  MAY ( sAMAccountName $ objectCategory $ userAccountControl $ msRTCSIP-PrimaryUserAddress $
        msRTCSIP-Line $ msRTCSIP-LineServer $ msRTCSIP-OptionFlags ) )
`;

function binary(name: string, dirs: readonly string[]): string {
  for (const dir of dirs) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  throw new Error(
    `${name} is not installed: the directory tests drive a real OpenLDAP server. ` +
      'Install it with `sudo apt-get install -y slapd ldap-utils` (or run `node scripts/ensure-system-deps.mjs`).',
  );
}

const SBIN = ['/usr/sbin', '/usr/local/sbin', '/usr/bin'];
const BIN = ['/usr/bin', '/usr/local/bin'];

interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command with `input` on stdin; bounded by `timeoutMs`. */
export function runTool(
  command: string,
  args: readonly string[],
  input = '',
  timeoutMs = 15_000,
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')}: no result within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // A tool that exits before reading its input (a refused bind, a missing file) closes the
    // pipe: its exit code and stderr tell the test why, the EPIPE on our write does not.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

async function openssl(args: readonly string[], cwd: string): Promise<void> {
  const result = await runTool(
    binary('openssl', BIN),
    args.map((a) => a.replace(/^@/, `${cwd}/`)),
  );
  if (result.code !== 0) throw new Error(`openssl ${args.join(' ')} failed:\n${result.stderr}`);
}

/** A CA, a server certificate it signs (127.0.0.1 / localhost), and an unrelated CA. */
async function makePki(dir: string): Promise<void> {
  const key = (name: string): Promise<void> =>
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `@${name}`], dir);
  const ca = async (name: string, subject: string): Promise<void> => {
    await key(`${name}.key`);
    await openssl(
      [
        'req',
        '-x509',
        '-new',
        '-key',
        `@${name}.key`,
        '-subj',
        subject,
        '-days',
        '2',
        '-sha256',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
        '-out',
        `@${name}.crt`,
      ],
      dir,
    );
  };
  await Promise.all([
    ca('ca', '/CN=Deskline LDAP Test CA'),
    ca('wrong-ca', '/CN=Some Other CA'),
    key('server.key'),
  ]);
  await openssl(
    ['req', '-new', '-key', '@server.key', '-subj', '/CN=ldap.deskline.test', '-out', '@server.csr'],
    dir,
  );
  await writeFile(
    join(dir, 'server.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n' +
      'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:ldap.deskline.test\n',
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      '@server.csr',
      '-CA',
      '@ca.crt',
      '-CAkey',
      '@ca.key',
      '-CAcreateserial',
      '-CAserial',
      '@ca.srl',
      '-days',
      '2',
      '-sha256',
      '-extfile',
      '@server.ext',
      '-out',
      '@server.crt',
    ],
    dir,
  );
}

const ldifValue = (value: string): string =>
  // RFC 2849: a value that is not a SAFE-STRING goes base64 ("::").
  /^[\x21-\x39\x3b\x3d-\x7e][\x20-\x7e]*$/.test(value) && !value.endsWith(' ')
    ? ` ${value}`
    : `: ${Buffer.from(value, 'utf8').toString('base64')}`;

export const ldifLine = (attribute: string, value: string): string => `${attribute}:${ldifValue(value)}`;

export function userLdif(user: TestUser): string {
  const lines = [
    `dn: ${userDn(user.uid, user.ou)}`,
    'objectClass: inetOrgPerson',
    'objectClass: user',
    ldifLine('uid', user.uid),
    ldifLine('sAMAccountName', user.uid),
    ldifLine('cn', user.displayName),
    ldifLine('sn', user.displayName.split(' ').pop() ?? user.uid),
    ldifLine('displayName', user.displayName),
    'objectCategory: person',
    `userAccountControl: ${user.disabled === true ? 514 : 512}`,
  ];
  if (user.sipUri !== undefined) lines.push(ldifLine('msRTCSIP-PrimaryUserAddress', user.sipUri));
  if (user.lineUri !== undefined) lines.push(ldifLine('msRTCSIP-Line', user.lineUri));
  if (user.lineServer !== undefined) lines.push(ldifLine('msRTCSIP-LineServer', user.lineServer));
  if (user.optionFlags !== undefined) lines.push(`msRTCSIP-OptionFlags: ${user.optionFlags}`);
  if (user.telephoneNumber !== undefined) lines.push(ldifLine('telephoneNumber', user.telephoneNumber));
  if (user.mobile !== undefined) lines.push(ldifLine('mobile', user.mobile));
  return lines.join('\n') + '\n';
}

export interface SlapdOptions {
  readonly users: readonly TestUser[];
  /** Extra organizational units under BASE_DN (e.g. `ou=bulk`). */
  readonly extraOus?: readonly string[];
}

export class TestSlapd {
  private child: Child | undefined;

  private constructor(
    readonly dir: string,
    readonly ldapPort: number,
    readonly ldapsPort: number,
    private readonly adminDn: string,
    private readonly adminPasswordFile: string,
    /** The gateway's bind password, in a file (as the provider reads it). */
    readonly gatewayPasswordFile: string,
  ) {}

  get ldapUrl(): string {
    return `ldap://127.0.0.1:${this.ldapPort}`;
  }
  get ldapsUrl(): string {
    return `ldaps://127.0.0.1:${this.ldapsPort}`;
  }
  get caFile(): string {
    return join(this.dir, 'ca.crt');
  }
  get wrongCaFile(): string {
    return join(this.dir, 'wrong-ca.crt');
  }
  get running(): boolean {
    return this.child?.running ?? false;
  }

  static async start(options: SlapdOptions): Promise<TestSlapd> {
    const slapd = binary('slapd', SBIN);
    binary('ldapadd', BIN);
    const dir = await mkdtemp(join(tmpdir(), 'deskline-slapd-'));
    try {
      await mkdir(join(dir, 'data'));
      await makePki(dir);
      const adminPassword = randomBytes(12).toString('hex');
      const gatewayPassword = randomBytes(12).toString('hex');
      const adminPasswordFile = join(dir, 'admin.pw');
      const gatewayPasswordFile = join(dir, 'gateway.pw');
      await writeFile(adminPasswordFile, adminPassword, { mode: 0o600 });
      // A trailing newline, as an editor leaves it: the provider must ignore it.
      await writeFile(gatewayPasswordFile, `${gatewayPassword}\n`, { mode: 0o600 });
      // ldapsearch -y takes the whole file as the password: no newline there.
      await writeFile(join(dir, 'gateway-raw.pw'), gatewayPassword, { mode: 0o600 });
      await writeFile(join(dir, 'deskline-test.schema'), SCHEMA);
      const adminDn = `cn=admin,${BASE_DN}`;
      await writeFile(
        join(dir, 'slapd.conf'),
        [
          'include /etc/ldap/schema/core.schema',
          'include /etc/ldap/schema/cosine.schema',
          'include /etc/ldap/schema/inetorgperson.schema',
          'include /etc/ldap/schema/nis.schema',
          `include ${join(dir, 'deskline-test.schema')}`,
          `pidfile ${join(dir, 'slapd.pid')}`,
          'modulepath /usr/lib/ldap',
          'moduleload back_mdb',
          'moduleload memberof',
          `TLSCACertificateFile ${join(dir, 'ca.crt')}`,
          `TLSCertificateFile ${join(dir, 'server.crt')}`,
          `TLSCertificateKeyFile ${join(dir, 'server.key')}`,
          'database mdb',
          `suffix "${BASE_DN}"`,
          `rootdn "${adminDn}"`,
          `rootpw ${adminPassword}`,
          `directory ${join(dir, 'data')}`,
          'maxsize 104857600',
          `limits dn.exact="${GATEWAY_BIND_DN}" size.soft=${UNPAGED_SIZE_LIMIT} size.hard=${UNPAGED_SIZE_LIMIT} size.prtotal=unlimited`,
          'overlay memberof',
          'access to attrs=userPassword by anonymous auth by * none',
          'access to * by * read',
          '',
        ].join('\n'),
      );
      // freePort() releases a port before slapd binds it: another test's socket may take it in
      // between, and slapd then exits. New ports, a bounded number of times.
      let server: TestSlapd | undefined;
      for (let attempt = 1; server === undefined; attempt++) {
        const candidate = new TestSlapd(
          dir,
          await freePort(),
          await freePort(),
          adminDn,
          adminPasswordFile,
          gatewayPasswordFile,
        );
        try {
          await candidate.launch(slapd);
          server = candidate;
        } catch (error) {
          const taken =
            candidate.child?.running === false &&
            candidate.child.lines.some((l) => l.includes('Address already in use'));
          if (!taken || attempt >= 3) throw error;
        }
      }
      await server.add(server.baseLdif(options, gatewayPassword));
      for (const user of options.users) await server.add(userLdif(user));
      await server.setLicensed(
        options.users.filter((u) => u.licensed === true).map((u) => u.uid),
        true,
      );
      return server;
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  private baseLdif(options: SlapdOptions, gatewayPassword: string): string {
    const ou = (dn: string): string => {
      const name = /^ou=([^,]+)/.exec(dn)?.[1] ?? 'x';
      return `dn: ${dn}\nobjectClass: organizationalUnit\nou: ${name}\n`;
    };
    return [
      `dn: ${BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\no: Deskline Test\ndc: deskline\n`,
      ou(PEOPLE_DN),
      ou(GROUPS_DN),
      ou(`ou=services,${BASE_DN}`),
      ou(`ou=empty,${BASE_DN}`),
      ...(options.extraOus ?? []).map((o) => ou(`${o},${BASE_DN}`)),
      `dn: ${GATEWAY_BIND_DN}\nobjectClass: person\nobjectClass: simpleSecurityObject\ncn: gateway\nsn: gateway\nuserPassword: ${gatewayPassword}\n`,
      // groupOfNames must have a member: the service account holds the place.
      `dn: ${LICENCE_GROUP_DN}\nobjectClass: groupOfNames\ncn: rcc-users\nmember: ${GATEWAY_BIND_DN}\n`,
      `dn: ${POSIX_GROUP_DN}\nobjectClass: posixGroup\ncn: rcc-posix\ngidNumber: 5000\n`,
    ].join('\n');
  }

  private async launch(slapd: string): Promise<void> {
    // -d 0: stay in the foreground (no fork), so the test owns the process; errors go to stderr.
    const child = Child.start('slapd', slapd, [
      '-f',
      join(this.dir, 'slapd.conf'),
      '-h',
      `${this.ldapUrl}/ ${this.ldapsUrl}/`,
      '-d',
      '0',
    ]);
    this.child = child;
    await waitForListener('127.0.0.1', this.ldapPort, 10_000, child);
    await waitForListener('127.0.0.1', this.ldapsPort, 10_000, child);
  }

  private adminArgs(): string[] {
    return ['-x', '-H', this.ldapUrl, '-D', this.adminDn, '-y', this.adminPasswordFile];
  }

  private async tool(name: string, args: readonly string[], input: string): Promise<string> {
    const result = await runTool(binary(name, BIN), [...this.adminArgs(), ...args], input);
    if (result.code !== 0)
      throw new Error(`${name} failed (exit ${String(result.code)}):\n${result.stderr}\n${input}`);
    return result.stdout;
  }

  /** Adds entries (LDIF, entries separated by blank lines). */
  async add(ldif: string): Promise<void> {
    await this.tool('ldapadd', [], ldif);
  }

  /** Applies an LDIF change record set (ldapmodify). */
  async modify(ldif: string): Promise<void> {
    await this.tool('ldapmodify', [], ldif);
  }

  async addUsers(users: readonly TestUser[]): Promise<void> {
    if (users.length === 0) return;
    await this.add(users.map(userLdif).join('\n'));
    await this.setLicensed(
      users.filter((u) => u.licensed === true).map((u) => u.uid),
      true,
      users[0]?.ou,
    );
  }

  async replace(dn: string, attribute: string, values: readonly string[]): Promise<void> {
    const body =
      values.length === 0
        ? `delete: ${attribute}\n`
        : `replace: ${attribute}\n${values.map((v) => ldifLine(attribute, v)).join('\n')}\n`;
    await this.modify(`dn: ${dn}\nchangetype: modify\n${body}`);
  }

  async delete(dns: readonly string[]): Promise<void> {
    if (dns.length === 0) return;
    await this.tool('ldapdelete', [], dns.join('\n') + '\n');
  }

  /** Adds users to (or removes them from) both licence groups. */
  async setLicensed(uids: readonly string[], licensed: boolean, ou: string = PEOPLE_DN): Promise<void> {
    if (uids.length === 0) return;
    const op = licensed ? 'add' : 'delete';
    await this.modify(
      [
        `dn: ${LICENCE_GROUP_DN}\nchangetype: modify\n${op}: member\n${uids.map((u) => `member: ${userDn(u, ou)}`).join('\n')}\n`,
        `dn: ${POSIX_GROUP_DN}\nchangetype: modify\n${op}: memberUid\n${uids.map((u) => `memberUid: ${u}`).join('\n')}\n`,
      ].join('\n'),
    );
  }

  /** ldapsearch as the gateway, unpaged: for checks that a limit really applies. */
  async searchAsGateway(base: string, filter: string): Promise<ToolResult> {
    return runTool(binary('ldapsearch', BIN), [
      '-x',
      '-H',
      this.ldapUrl,
      '-D',
      GATEWAY_BIND_DN,
      '-y',
      join(this.dir, 'gateway-raw.pw'),
      '-b',
      base,
      '-LLL',
      filter,
      'dn',
    ]);
  }

  /** SIGTERM: slapd shuts down cleanly, the database stays. */
  async stop(): Promise<void> {
    await this.child?.stop(5_000);
  }

  /** SIGKILL: the server vanishes without a word. */
  async kill(): Promise<void> {
    await this.child?.kill();
  }

  /** SIGSTOP: the server keeps its sockets but answers nothing (a hung server). Resolves once
   *  the kernel reports the process stopped (state T in /proc/<pid>/stat). */
  async freeze(): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined || !this.running) throw new Error('slapd is not running');
    process.kill(pid, 'SIGSTOP');
    const deadline = Date.now() + 5_000;
    for (;;) {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      // pid (comm) state …: the state follows the last ")".
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'T') return;
      if (Date.now() > deadline) throw new Error(`slapd (pid ${pid}) did not stop: ${stat}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** SIGCONT after freeze(). */
  thaw(): void {
    const pid = this.child?.pid;
    if (pid !== undefined && this.running) process.kill(pid, 'SIGCONT');
  }

  /** Starts the stopped server again on the same ports, with the same data. */
  async restart(): Promise<void> {
    if (this.running) await this.stop();
    await this.launch(binary('slapd', SBIN));
  }

  async dispose(): Promise<void> {
    this.thaw();
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
