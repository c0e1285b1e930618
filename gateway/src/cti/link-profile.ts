// What a CTI connection needs to know of the link's dialect (docs/cti-link.md §7): the edition it
// writes, how it opens its session and logs in, how it keeps the link alive, and how the call
// server names devices. The deskline profile is the simulator's; the standard profile faces a
// CSTA-over-TCP call server with nothing private on the wire.
import type { CtiOutputEdition, CtiProfileName, LoginSpec } from '../cti-link/profile.js';

/**
 * How liveness is proved (docs/cti-link.md §3, §7):
 * - `resetApplicationSessionTimer`: the gateway sends ECMA-354 ResetApplicationSessionTimer;
 * - `systemStatus`: the gateway sends SystemStatus (a bidirectional CSTA service) — any answer,
 *   even a CSTAErrorCode, shows the server is alive;
 * - `server`: the server sends SystemStatus on its own schedule (OpenScape Voice, Alcatel OXO /
 *   OXE every 30 s); the gateway answers them, and a window of `heartbeatIntervalMs` +
 *   `heartbeatTimeoutMs` without one is a miss.
 */
export type CtiHeartbeat = 'resetApplicationSessionTimer' | 'systemStatus' | 'server';

/**
 * Deskline's device IDs ↔ the call server's (standard profile). Deskline names a line appearance
 * `<device>/<dn>/<partition>`; a standard server knows the line by its DN (or E.164 number, or an
 * ID of its own from `cti.deviceIds.map`). Built from the directory in force by the composition
 * (the directory layer is above this one).
 */
export interface WireDeviceIds {
  /** The server's ID of one of our device IDs; undefined when it is none of ours (a number the
   *  user dialled passes as it is). */
  toWire(id: string): string | undefined;
  /** Our device IDs a server ID stands for: one, several (a shared line), or none (a party
   *  outside the directory). */
  fromWire(id: string): readonly string[];
  /** Every server ID the directory expects the server to know (the device check). */
  expected(): ReadonlySet<string>;
}

export interface CtiLinkProfile {
  readonly name: CtiProfileName;
  /** ECMA-323 edition written; any is read. */
  readonly edition: CtiOutputEdition;
  /** `none`: no application session (the server trusts the address): the link is up once
   *  connected, with a connection ID of our own. */
  readonly session: 'ecma354' | 'none';
  /** Standard profile: where the login goes (the deskline profile sends `dl:credentials`). */
  readonly login: LoginSpec;
  readonly heartbeat: CtiHeartbeat;
  /** Send SystemRegister once up (servers that send SystemStatus only to registered applications). */
  readonly systemRegister: boolean;
  /** List the server's devices (GetSwitchingFunctionDevices, deviceList/device) once up. */
  readonly checkDevices: boolean;
  /** Undefined: the device IDs on the wire are Deskline's own (deskline profile). */
  readonly deviceIds: WireDeviceIds | undefined;
}

export const DESKLINE_LINK_PROFILE: CtiLinkProfile = Object.freeze({
  name: 'deskline',
  edition: 'ed3',
  session: 'ecma354',
  login: Object.freeze({ form: 'none', userElement: 'userName', passwordElement: 'password', extra: {} }),
  heartbeat: 'resetApplicationSessionTimer',
  systemRegister: false,
  checkDevices: false,
  deviceIds: undefined,
});

/**
 * The number in a server's device identifier. OpenScape Voice writes a device it reports as
 * `N<302118840100>;noa=nk` (the number, then its attributes) while naming the same device
 * `302118840100` in connection IDs (skarcos/pyssimist, an OpenScape Voice test tool, shows both):
 * read as the number, so that both name one device. Anything else is returned as it is.
 */
export function serverDeviceNumber(id: string): string {
  if (!id.startsWith('N<')) return id;
  const end = id.indexOf('>', 2);
  return end < 0 ? id : id.slice(2, end);
}
