// The call server's device IDs for the lines of the directory in force (docs/cti-link.md §7,
// standard profile): Deskline names a line appearance `<device>/<dn>/<partition>` (LDAP's synthetic
// devices: `LDAP-alice/1001/`), a standard CSTA server knows the line by its DN — or by its E.164
// number, or by an ID of its own given in `cti.deviceIds.map`. Rebuilt from each accepted snapshot.
import { appearanceDeviceId } from '../cti-link/directory-codec.js';
import type { WireDeviceIds } from '../cti/link-profile.js';
import type { DirectorySnapshot } from './provider.js';

export interface DeviceIdSettings {
  /** `dn`: the line's directory number; `e164`: its E.164 number when it has one, else the DN;
   *  `e164Digits`: the same without "+" (OpenScape Voice names devices `302118840100`). */
  readonly from: 'dn' | 'e164' | 'e164Digits';
  /** Explicit IDs, looked up by appearance ID, then line (`dn/partition`), then DN. */
  readonly map: Readonly<Record<string, string>>;
}

export class SnapshotDeviceIds implements WireDeviceIds {
  private toWireMap = new Map<string, string>();
  private fromWireMap = new Map<string, string[]>();
  private expectedSet: ReadonlySet<string> = new Set();

  constructor(private readonly settings: DeviceIdSettings) {}

  /** Takes the lines of a snapshot (the composition calls it for each accepted one). */
  update(snapshot: Pick<DirectorySnapshot, 'devices'>): void {
    const toWire = new Map<string, string>();
    const fromWire = new Map<string, string[]>();
    for (const device of snapshot.devices) {
      for (const line of device.lines) {
        const id = appearanceDeviceId(device.name, line.dn, line.partition);
        const wire = this.wireIdOfLine(id, line.dn, line.partition, line.e164);
        toWire.set(id, wire);
        const ours = fromWire.get(wire);
        if (ours === undefined) fromWire.set(wire, [id]);
        else ours.push(id);
      }
    }
    this.toWireMap = toWire;
    this.fromWireMap = fromWire;
    this.expectedSet = new Set(fromWire.keys());
  }

  /** The server's ID of a line, by the settings (for the troubleshooter too). */
  wireIdOfLine(appearanceId: string, dn: string, partition: string, e164: string | undefined): string {
    const map = this.settings.map;
    return (
      map[appearanceId] ??
      map[`${dn}/${partition}`] ??
      map[dn] ??
      (e164 === undefined || this.settings.from === 'dn'
        ? dn
        : this.settings.from === 'e164'
          ? e164
          : e164.replace(/^\+/, ''))
    );
  }

  toWire(id: string): string | undefined {
    return this.toWireMap.get(id);
  }

  fromWire(id: string): readonly string[] {
    return this.fromWireMap.get(id) ?? [];
  }

  expected(): ReadonlySet<string> {
    return this.expectedSet;
  }
}
