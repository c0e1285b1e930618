// Device identifiers between a Microsoft RCC client and the CTI link (docs/msrcc.md, docs/cti-link.md §5).
//
// The client names its own line by its Line URI (`tel:73124;phone-context=dialstring;partition=P`,
// `tel:+14085551001;ext=1001`) or by a deviceID it learned from events; parties by tel URIs built
// from whatever the user clicked. The CTI side names a line appearance `<device>/<dn>/<partition>`
// and parties by number. A session translates both ways; the IDs it hands out are remembered so that
// what a client sends back (sipe reuses event deviceIDs in ClearConnection) maps to the same CTI ID.
import { descriptorOf, type CstaMessage, type FieldKind } from '../../csta/index.js';
import type { Directory, AppearanceRecord } from '../../core/directory.js';
import {
  lineKeyOf,
  normalizeDialString,
  parsePartyAddress,
  type NumberingRules,
} from '../../numbering/index.js';
import { DesklineError, ErrorCode } from '../../util/errors.js';
import { err, ok, type Result } from '../../util/result.js';

const LEARNED_LIMIT = 256;

export class DeviceTranslator {
  /** north ID → CTI ID, for IDs this session handed out. Made at the first: a held session that
   *  saw no call keeps no empty Map (docs/benchmarks.md, "Memory per session"). */
  private learned: Map<string, string> | undefined;

  constructor(
    private readonly directory: () => Directory,
    private readonly rules: NumberingRules,
    /** The session's own appearance and the Line URI exactly as the client gave it. */
    private readonly appearance: AppearanceRecord,
    private readonly lineUri: string,
    /** The user's appearances (any of them may be addressed by line URI). */
    private readonly userAppearances: () => readonly AppearanceRecord[],
  ) {}

  private remember(north: string, cti: string): string {
    const learned = (this.learned ??= new Map());
    if (!learned.has(north)) {
      learned.set(north, cti);
      if (learned.size > LEARNED_LIMIT) learned.delete(learned.keys().next().value as string);
    }
    return north;
  }

  /** CTI → client. The session's own appearance is always the client's Line URI verbatim. */
  toNorth(cti: string): string {
    if (cti === this.appearance.id) return this.lineUri;
    const appearance = this.directory().appearances.get(cti);
    if (appearance !== undefined)
      return this.remember(`tel:${appearance.line.dn};phone-context=dialstring`, cti);
    if (cti.startsWith('+')) return this.remember(`tel:${cti}`, cti);
    if (/^[0-9*#]+$/.test(cti)) return this.remember(`tel:${cti};phone-context=dialstring`, cti);
    return this.remember(cti, cti);
  }

  /** A device the client names as its own (callingDevice, monitorObject, device of a feature):
   *  its session line's URI or appearance ID, an ID this session handed out, or any line URI of
   *  one of the user's lines — read as the INVITE's was (numbering/line-uri.ts). */
  ownToCti(north: string): Result<string> {
    if (north === this.lineUri || north === this.appearance.id) return ok(this.appearance.id);
    const learned = this.learned?.get(north);
    if (learned !== undefined) return ok(learned);
    const key = lineKeyOf(north, this.rules);
    if (!key.ok) return err(key.error);
    const { dn, partition } = key.value;
    const names = (a: AppearanceRecord): boolean =>
      a.line.dn === dn && (partition === undefined || a.line.partition === partition);
    const mine = this.userAppearances();
    const match = mine.find((a) => a.id === this.appearance.id && names(a)) ?? mine.find(names);
    if (match === undefined)
      return err(new DesklineError(ErrorCode.LineNotOwned, `${north} is not one of this user's lines`));
    return ok(match.id);
  }

  /** A connection's deviceID: the own line, or an ID this session handed out in an event or a
   *  response. Anything else names no connection the session knows: refused, never passed through
   *  to the CTI link as written (docs/robustness.md §5). */
  connectionToCti(north: string): Result<string> {
    const own = this.ownToCti(north);
    if (own.ok) return own;
    const learned = this.learned?.get(north);
    if (learned !== undefined) return ok(learned);
    return err(
      new DesklineError(
        ErrorCode.LineNotOwned,
        `${north} names no connection of this session (neither its own line nor a party it was told of)`,
      ),
    );
  }

  /** A destination the user dialled (calledDirectoryNumber, consultedDevice, transferredTo, ...). */
  destinationToCti(north: string): Result<string> {
    const learned = this.learned?.get(north);
    if (learned !== undefined && !learned.includes('/')) return ok(learned);
    const party = parsePartyAddress(north);
    if (!party.ok)
      return err(
        new DesklineError(
          ErrorCode.NumberInvalid,
          `cannot dial ${JSON.stringify(north)}: ${party.error.message}`,
        ),
      );
    const view = normalizeDialString(party.value.number, this.rules);
    if (!view.valid)
      return err(
        new DesklineError(
          ErrorCode.NumberInvalid,
          `cannot dial ${JSON.stringify(north)}: ${view.reason ?? 'not dialable'}`,
        ),
      );
    return ok(view.dialString);
  }

  /** Rewrites every device ID in a CTI message (event or response) for the client. */
  messageToNorth<M extends CstaMessage>(message: M): M {
    const descriptor = descriptorOf(message.type);
    // Every decoded message has its descriptor; one without is passed on untouched.
    return descriptor === undefined ? message : (walk(message, descriptor.body, this) as M);
  }
}

/**
 * A value of `kind` with every device ID in it translated. Which fields are device IDs is the
 * codec's knowledge (csta/messages.ts): DeviceRef fields (`device()`) and text marked
 * `deviceId()`. Anything else (cross references, causes, `unknown` and `extensions` nodes) is
 * copied as it is.
 */
function walk(value: unknown, kind: FieldKind, t: DeviceTranslator): unknown {
  switch (kind.k) {
    case 'text':
      return kind.deviceId === true && typeof value === 'string' ? t.toNorth(value) : value;
    case 'device':
      // DeviceRef: { id } or { absent }.
      return typeof value === 'object' && value !== null && 'id' in value && typeof value.id === 'string'
        ? { ...value, id: t.toNorth(value.id) }
        : value;
    case 'list':
      return Array.isArray(value) ? value.map((item) => walk(item, kind.of, t)) : value;
    case 'struct': {
      if (typeof value !== 'object' || value === null) return value;
      const out: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(value)) {
        const entry = kind.fields[key];
        out[key] = entry === undefined ? field : walk(field, entry.kind, t);
      }
      return out;
    }
    default:
      return value;
  }
}
