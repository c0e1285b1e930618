// Findings for sources that hold the CUCM model as records — the cluster file (`file`) and the
// simulator's `dl:directory` (`cti`): every user of such a source is in the snapshot, and the
// checks say what the session core will make of it (licence, devices, CTI control). Built only
// when read (a 100,000-user directory does not hold 500,000 sentences), like the LDAP findings.
import type { DirectoryDevice, DirectoryUser } from '../cti-link/directory-codec.js';
import type { FindingCheck, UserFinding } from './provider.js';

class RecordFinding implements UserFinding {
  readonly included = true;

  constructor(
    private readonly user: DirectoryUser,
    private readonly devices: ReadonlyMap<string, DirectoryDevice>,
    readonly entry: string,
  ) {}

  get userId(): string {
    return this.user.id;
  }

  get checks(): readonly FindingCheck[] {
    const user = this.user;
    const out: FindingCheck[] = [{ check: 'userId', ok: true, detail: `user ID "${user.id}"` }];
    out.push(
      user.sipUri === undefined
        ? { check: 'sipUri', ok: true, detail: 'no SIP URI: the user is found by the SIP user part only' }
        : { check: 'sipUri', ok: true, detail: `SIP URI "${user.sipUri}"` },
    );
    out.push(
      user.licence === null
        ? {
            check: 'licence',
            ok: false,
            detail: 'no IM and Presence licence (UCL or CUWL): remote call control is refused',
          }
        : { check: 'licence', ok: true, detail: `licence ${user.licence}` },
    );
    const controlled = user.controlledDevices
      .map((name) => this.devices.get(name))
      .filter((d): d is DirectoryDevice => d !== undefined);
    const appearances = controlled.reduce((n, d) => n + d.lines.length, 0);
    out.push(
      appearances === 0
        ? {
            check: 'devices',
            ok: false,
            detail:
              user.controlledDevices.length === 0
                ? 'controls no device: the user has no line to control'
                : `controls ${user.controlledDevices.join(', ')}, which carry no line appearance`,
          }
        : {
            check: 'devices',
            ok: true,
            detail: `controls ${controlled.map((d) => `${d.name} (${d.lines.map((l) => l.dn).join(', ')})`).join(', ')}`,
          },
    );
    const disallowed = controlled.filter((d) => !d.ctiAllowed).map((d) => d.name);
    if (controlled.length > 0)
      out.push(
        disallowed.length === 0
          ? { check: 'remoteCallControl', ok: true, detail: 'CTI control is allowed on every device' }
          : {
              check: 'remoteCallControl',
              ok: disallowed.length < controlled.length,
              detail: `CTI control is not allowed on ${disallowed.join(', ')}`,
            },
      );
    return out;
  }
}

/** Findings of a records source, keyed by lower-cased user ID; `entry` names the source. */
export class RecordFindings implements ReadonlyMap<string, UserFinding> {
  /** Lower-cased user ID → index in `users`. */
  private readonly index = new Map<string, number>();
  private readonly devices = new Map<string, DirectoryDevice>();

  constructor(
    private readonly users: readonly DirectoryUser[],
    devices: readonly DirectoryDevice[],
    /** What an entry is called in the source (`users[3] in /etc/deskline/users.yaml`). */
    private readonly entryOf: (index: number, user: DirectoryUser) => string,
  ) {
    users.forEach((user, i) => {
      const key = user.id.toLowerCase();
      if (!this.index.has(key)) this.index.set(key, i);
    });
    for (const device of devices) this.devices.set(device.name, device);
  }

  get size(): number {
    return this.index.size;
  }

  get(key: string): UserFinding | undefined {
    const i = this.index.get(key.toLowerCase());
    const user = i === undefined ? undefined : this.users[i];
    return user === undefined || i === undefined
      ? undefined
      : new RecordFinding(user, this.devices, this.entryOf(i, user));
  }

  has(key: string): boolean {
    return this.index.has(key.toLowerCase());
  }

  *keys(): MapIterator<string> {
    yield* this.index.keys();
  }

  *values(): MapIterator<UserFinding> {
    for (const key of this.index.keys()) yield this.get(key) as UserFinding;
  }

  *entries(): MapIterator<[string, UserFinding]> {
    for (const key of this.index.keys()) yield [key, this.get(key) as UserFinding];
  }

  [Symbol.iterator](): MapIterator<[string, UserFinding]> {
    return this.entries();
  }

  forEach(callback: (value: UserFinding, key: string, map: ReadonlyMap<string, UserFinding>) => void): void {
    for (const [key, value] of this.entries()) callback(value, key, this);
  }
}
