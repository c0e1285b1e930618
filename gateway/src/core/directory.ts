// The directory cache: users, licences, devices, lines and line appearances, as the
// CTI Manager side reports them (docs/cti-link.md §4). Built once per load into
// indexes so that every session-initiating request is a few map lookups, not a scan:
// at 1,000 set-ups/s over 100,000 users a scan per INVITE would dominate.
import type { DirectoryDevice, DirectoryLine, DirectoryUser } from '../cti-link/directory-codec.js';

export type { DirectoryDevice, DirectoryLine, DirectoryUser };

export interface LineRecord {
  readonly key: string; // `${dn}/${partition}`
  readonly dn: string;
  readonly partition: string;
  readonly label: string;
  readonly e164: string | undefined;
  readonly appearances: AppearanceRecord[];
}

export interface AppearanceRecord {
  /** CTI device ID: `<device>/<dn>/<partition>` (docs/cti-link.md §5). */
  readonly id: string;
  readonly device: DirectoryDevice;
  readonly line: LineRecord;
  readonly index: number;
  readonly label: string;
}

export const lineKeyOf = (dn: string, partition: string): string => `${dn}/${partition}`;
export const appearanceIdOf = (device: string, dn: string, partition: string): string =>
  `${device}/${dn}/${partition}`;

export type UserIdentityMode = 'userPart' | 'sipUri';

export class Directory {
  readonly users = new Map<string, DirectoryUser>();
  readonly devices = new Map<string, DirectoryDevice>();
  readonly lines = new Map<string, LineRecord>();
  readonly appearances = new Map<string, AppearanceRecord>();
  private readonly usersBySipUri = new Map<string, DirectoryUser>();
  private readonly linesByDn = new Map<string, LineRecord[]>();
  private readonly linesByE164 = new Map<string, LineRecord>();
  private readonly appearancesByDevice = new Map<string, AppearanceRecord[]>();

  constructor(
    users: Iterable<DirectoryUser>,
    devices: Iterable<DirectoryDevice>,
    /** Epoch ms of the load. */
    readonly loadedAt: number,
    /** Which CTI connection ID it came from (for troubleshooting). */
    readonly source: string,
  ) {
    for (const device of devices) {
      this.devices.set(device.name, device);
      const list: AppearanceRecord[] = [];
      for (const l of device.lines) {
        const key = lineKeyOf(l.dn, l.partition);
        let line = this.lines.get(key);
        if (line === undefined) {
          line = { key, dn: l.dn, partition: l.partition, label: l.label, e164: l.e164, appearances: [] };
          this.lines.set(key, line);
          const byDn = this.linesByDn.get(l.dn);
          if (byDn === undefined) this.linesByDn.set(l.dn, [line]);
          else byDn.push(line);
          if (l.e164 !== undefined) this.linesByE164.set(l.e164, line);
        }
        const appearance: AppearanceRecord = {
          id: appearanceIdOf(device.name, l.dn, l.partition),
          device,
          line,
          index: l.index,
          label: l.label,
        };
        line.appearances.push(appearance);
        list.push(appearance);
        this.appearances.set(appearance.id, appearance);
      }
      this.appearancesByDevice.set(device.name, list);
    }
    for (const user of users) {
      this.users.set(user.id.toLowerCase(), user);
      if (user.sipUri !== undefined) this.usersBySipUri.set(normalizeSipAor(user.sipUri), user);
    }
  }

  static empty(): Directory {
    return new Directory([], [], 0, 'none');
  }

  get size(): { users: number; devices: number; lines: number; appearances: number } {
    return {
      users: this.users.size,
      devices: this.devices.size,
      lines: this.lines.size,
      appearances: this.appearances.size,
    };
  }

  userById(id: string): DirectoryUser | undefined {
    return this.users.get(id.toLowerCase());
  }

  /** Finds the user a SIP From URI belongs to: by the configured SIP URI first, then
   *  (mode `userPart`) by the URI's user part as the CUCM user ID, which is how Cisco's
   *  gateway maps Lync users when no directory URI is set. */
  userBySipUri(uri: string, mode: UserIdentityMode): DirectoryUser | undefined {
    const aor = normalizeSipAor(uri);
    const exact = this.usersBySipUri.get(aor);
    if (exact !== undefined || mode === 'sipUri') return exact;
    const at = aor.indexOf('@');
    const colon = aor.indexOf(':');
    const userPart = aor.slice(colon + 1, at < 0 ? undefined : at);
    return userPart === '' ? undefined : this.userById(decodeURIComponent(userPart));
  }

  /** Every appearance on the devices the user controls, in device then line order. */
  appearancesOfUser(user: DirectoryUser): AppearanceRecord[] {
    const out: AppearanceRecord[] = [];
    for (const name of user.controlledDevices) {
      const list = this.appearancesByDevice.get(name);
      if (list !== undefined) for (const a of list) out.push(a);
    }
    return out;
  }

  userOwnsAppearance(user: DirectoryUser, appearanceId: string): boolean {
    const appearance = this.appearances.get(appearanceId);
    return appearance !== undefined && user.controlledDevices.includes(appearance.device.name);
  }

  /** A line by DN and optional partition; without a partition the DN must be unique. */
  findLine(dn: string, partition: string | undefined): LineRecord | undefined {
    if (partition !== undefined) return this.lines.get(lineKeyOf(dn, partition));
    const candidates = this.linesByDn.get(dn);
    return candidates !== undefined && candidates.length === 1 ? candidates[0] : undefined;
  }

  linesWithDn(dn: string): readonly LineRecord[] {
    return this.linesByDn.get(dn) ?? [];
  }

  findLineByE164(e164: string): LineRecord | undefined {
    return this.linesByE164.get(e164);
  }
}

/** `sip:Alice@Example.COM;transport=tls` → `sip:alice@example.com` (AOR comparison, RFC 3261 §19.1.4 in spirit). */
export function normalizeSipAor(uri: string): string {
  let text = uri.trim();
  const lt = text.indexOf('<');
  if (lt >= 0) text = text.slice(lt + 1, text.indexOf('>', lt) < 0 ? undefined : text.indexOf('>', lt));
  const semi = text.indexOf(';');
  if (semi >= 0) text = text.slice(0, semi);
  const q = text.indexOf('?');
  if (q >= 0) text = text.slice(0, q);
  if (!/^sips?:/i.test(text)) text = `sip:${text}`;
  return text.replace(/^sips:/i, 'sip:').toLowerCase();
}
