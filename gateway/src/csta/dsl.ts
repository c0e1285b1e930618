// The descriptor DSL: one descriptor per CSTA message, from which the TypeScript types are
// inferred and which drives decode, encode and the property-test generators (docs/csta-codec.md).
// A descriptor mirrors the ECMA-323 XSD sequence of its element: field order is the encoding
// order; decoding matches children by local name in any order.
import type { XmlNode } from './xml.js';

// ---- value types that several kinds produce ---------------------------------------------------

/** Why a device is not identified (ECMA-269 §12.3: CallingDeviceID, CalledDeviceID, SubjectDeviceID,
 *  RedirectionDeviceID — each allows a subset; we accept all four on every one of them). */
export const DEVICE_ABSENT = ['notKnown', 'notRequired', 'notSpecified', 'restricted'] as const;
export type DeviceAbsent = (typeof DEVICE_ABSENT)[number];

/**
 * A device as events report it (ECMA-269 §12.3, ECMA-323 `<callingDevice><deviceIdentifier>…`):
 * either its identifier or the reason there is none (`<notKnown/>`, `<notRequired/>`, ...).
 */
export type DeviceRef = { id: string } | { absent: DeviceAbsent };

/** `GetCSTAFeaturesResponse` lists: list element name (`callControlServList`) → the names of the
 *  empty elements it holds (`makeCall`, ...). Order is kept. */
export type FeatureLists = Record<string, string[]>;

/** ECMA-323 CSTACommonArguments `extensions`: `privateData/private/*` as generic nodes
 *  (e.g. Microsoft's `lcs:line`); anything else under `extensions` in `unknown`. */
export interface CstaExtensions {
  privateData?: XmlNode[];
  unknown?: XmlNode[];
}

/** A namespace binding for a typed private element (our `dl:credentials`). */
export interface NsBinding {
  readonly prefix: string;
  readonly uri: string;
}

// ---- kinds ------------------------------------------------------------------------------------

export interface TextKind {
  readonly k: 'text';
  /** The text is a device identifier (ECMA-269 §12.3 DeviceID as plain text: `deviceID` of a
   *  ConnectionID, `deviceObject`, `callingDevice` of MakeCall, ...). Encoded and decoded as
   *  any text; faces that translate device IDs find them by this mark (faces/msrcc/translate.ts). */
  readonly deviceId?: true;
}
export interface IntKind {
  readonly k: 'int';
  readonly min: number;
  readonly max: number;
}
export interface BoolKind {
  readonly k: 'bool';
}
/** Presence of an empty element (`<notKnown/>`, a NULL in ASN.1). */
export interface FlagKind {
  readonly k: 'flag';
}
export interface EnumKind<V extends readonly string[] = readonly string[], O extends boolean = boolean> {
  readonly k: 'enum';
  readonly values: V;
  readonly valueSet: ReadonlySet<string>;
  /** Open enums accept values outside the list (clients invent event causes). */
  readonly open: O;
}
export interface DeviceRefKind {
  readonly k: 'device';
  /** Element carrying the identifier: `deviceIdentifier` (Subject/Calling/CalledDeviceID) or
   *  `numberDialed` (RedirectionDeviceID, ECMA-269 §12.3.19). Both are accepted on input. */
  readonly idElement: 'deviceIdentifier' | 'numberDialed';
}
export interface ListKind<I extends FieldKind = FieldKind> {
  readonly k: 'list';
  readonly item: string;
  readonly of: I;
  /** Other spellings of the item element accepted on input (encoding writes `item`). */
  readonly aliases: ReadonlySet<string> | undefined;
}
export interface FeaturesKind {
  readonly k: 'features';
  /** Other spellings of list names accepted on input → the schema's name (which is kept). */
  readonly aliases: ReadonlyMap<string, string> | undefined;
}
/** The name of the one child element that is a choice of names (CSTAErrorCode's error class). */
export interface TagKind<V extends readonly string[] = readonly string[]> {
  readonly k: 'tag';
  readonly values: V;
  readonly valueSet: ReadonlySet<string>;
  /** Other spellings of a name accepted on input → the schema's name. */
  readonly aliases: ReadonlyMap<string, string> | undefined;
  /** Per (schema) name: other spellings of its text accepted on input → the schema's spelling. */
  readonly textAliases: ReadonlyMap<string, ReadonlyMap<string, string>> | undefined;
}
/** The text of that chosen child element. */
export interface TagTextKind {
  readonly k: 'tagText';
}
export interface ExtensionsKind {
  readonly k: 'extensions';
}
export interface StructKind<F extends Fields = Fields> {
  readonly k: 'struct';
  readonly fields: F;
  /** Prefix written on this element and its descendants (typed private data), if any. */
  readonly ns: NsBinding | undefined;
  readonly entries: readonly FieldEntry[];
  readonly byLocal: ReadonlyMap<string, FieldEntry>;
  readonly tag: FieldEntry | undefined;
  readonly tagText: FieldEntry | undefined;
}

export type FieldKind =
  | TextKind
  | IntKind
  | BoolKind
  | FlagKind
  | EnumKind
  | DeviceRefKind
  | ListKind
  | FeaturesKind
  | TagKind
  | TagTextKind
  | ExtensionsKind
  | StructKind;

export interface Field<K extends FieldKind = FieldKind, O extends boolean = boolean> {
  readonly kind: K;
  readonly optional: O;
  /** Element local name when it differs from the property name. */
  readonly element: string | undefined;
  /** Other spellings of the element accepted on input (encoding writes `element`). */
  readonly aliases: readonly string[] | undefined;
  /** Never echo the value in an error (passwords). */
  readonly secret: boolean;
}

export type Fields = { readonly [key: string]: Field };

export interface FieldEntry {
  readonly key: string;
  readonly element: string;
  readonly field: Field;
}

// ---- type inference ---------------------------------------------------------------------------

type Simplify<T> = { [P in keyof T]: T[P] } & {};

export type ValueOfKind<K> = K extends TextKind
  ? string
  : K extends IntKind
    ? number
    : K extends BoolKind
      ? boolean
      : K extends FlagKind
        ? true
        : K extends EnumKind<infer V, infer O>
          ? O extends true
            ? V[number] | (string & {})
            : V[number]
          : K extends DeviceRefKind
            ? DeviceRef
            : K extends FeaturesKind
              ? FeatureLists
              : K extends TagKind<infer V>
                ? V[number]
                : K extends TagTextKind
                  ? string
                  : K extends ExtensionsKind
                    ? CstaExtensions
                    : K extends ListKind<infer I>
                      ? ValueOfKind<I>[]
                      : K extends StructKind<infer F>
                        ? StructValue<F>
                        : never;

type RequiredKeys<F extends Fields> = { [P in keyof F]: F[P]['optional'] extends false ? P : never }[keyof F];
type OptionalKeys<F extends Fields> = Exclude<keyof F, RequiredKeys<F>>;

/** The object a struct descriptor decodes to: required and optional fields, plus `unknown`
 *  (child elements the descriptor does not name, kept as generic nodes). */
export type StructValue<F extends Fields> = Simplify<
  { -readonly [P in RequiredKeys<F>]: ValueOfKind<F[P]['kind']> } & {
    -readonly [P in OptionalKeys<F>]?: ValueOfKind<F[P]['kind']>;
  } & { unknown?: XmlNode[] }
>;

// ---- builders ---------------------------------------------------------------------------------

const TEXT: TextKind = Object.freeze({ k: 'text' });
const DEVICE_ID: TextKind = Object.freeze({ k: 'text', deviceId: true });
const BOOL: BoolKind = Object.freeze({ k: 'bool' });
const FLAG: FlagKind = Object.freeze({ k: 'flag' });
const TAG_TEXT: TagTextKind = Object.freeze({ k: 'tagText' });
const EXTENSIONS: ExtensionsKind = Object.freeze({ k: 'extensions' });
const DEVICE: DeviceRefKind = Object.freeze({ k: 'device', idElement: 'deviceIdentifier' });
const REDIRECTION_DEVICE: DeviceRefKind = Object.freeze({ k: 'device', idElement: 'numberDialed' });

export const text = (): TextKind => TEXT;
/** A device identifier written as plain text (see TextKind.deviceId). */
export const deviceId = (): TextKind => DEVICE_ID;
export const bool = (): BoolKind => BOOL;
export const flag = (): FlagKind => FLAG;
/** GetCSTAFeaturesResponse lists; `aliases`: other spellings of list names → the schema's. */
export function features(aliases?: Readonly<Record<string, string>>): FeaturesKind {
  return Object.freeze({
    k: 'features',
    aliases: aliases === undefined ? undefined : new Map(Object.entries(aliases)),
  });
}
export const tagText = (): TagTextKind => TAG_TEXT;
export const extensions = (): ExtensionsKind => EXTENSIONS;
/** SubjectDeviceID / CallingDeviceID / CalledDeviceID / AssociatedXDeviceID. */
export const device = (): DeviceRefKind => DEVICE;
/** RedirectionDeviceID (`numberDialed`). */
export const redirectionDevice = (): DeviceRefKind => REDIRECTION_DEVICE;

/** xs:int by default; narrower ranges where the spec says so. */
export function int(min = -2_147_483_648, max = 2_147_483_647): IntKind {
  return Object.freeze({ k: 'int', min, max });
}

export function enumOf<const V extends readonly string[]>(values: V): EnumKind<V, false> {
  return Object.freeze({ k: 'enum', values, valueSet: new Set<string>(values), open: false as const });
}

export function openEnum<const V extends readonly string[]>(values: V): EnumKind<V, true> {
  return Object.freeze({ k: 'enum', values, valueSet: new Set<string>(values), open: true as const });
}

/** `aliases`: other spellings of a name → the schema's; `textAliases`: per schema name, other
 *  spellings of its text → the schema's (both accepted on input, never written). */
export function tag<const V extends readonly string[]>(
  values: V,
  options?: {
    aliases?: Readonly<Record<string, V[number]>>;
    textAliases?: Partial<Readonly<Record<V[number], Readonly<Record<string, string>>>>>;
  },
): TagKind<V> {
  const textAliases = options?.textAliases;
  return Object.freeze({
    k: 'tag',
    values,
    valueSet: new Set<string>(values),
    aliases:
      options?.aliases === undefined ? undefined : new Map<string, string>(Object.entries(options.aliases)),
    textAliases:
      textAliases === undefined
        ? undefined
        : new Map(
            Object.entries(textAliases).map(([name, map]): [string, ReadonlyMap<string, string>] => [
              name,
              new Map(Object.entries(map as Record<string, string>)),
            ]),
          ),
  });
}

export function list<I extends FieldKind>(
  item: string,
  of: I,
  options?: { aliases?: readonly string[] },
): ListKind<I> {
  return Object.freeze({
    k: 'list',
    item,
    of,
    aliases: options?.aliases === undefined ? undefined : new Set(options.aliases),
  });
}

export function struct<const F extends Fields>(fields: F, options?: { ns?: NsBinding }): StructKind<F> {
  const entries: FieldEntry[] = [];
  const byLocal = new Map<string, FieldEntry>();
  let tagEntry: FieldEntry | undefined;
  let tagTextEntry: FieldEntry | undefined;
  for (const key of Object.keys(fields)) {
    const field = fields[key] as Field;
    const entry: FieldEntry = Object.freeze({ key, element: field.element ?? key, field });
    entries.push(entry);
    if (field.kind.k === 'tag') tagEntry = entry;
    else if (field.kind.k === 'tagText') tagTextEntry = entry;
    else {
      byLocal.set(entry.element, entry);
      for (const alias of field.aliases ?? []) byLocal.set(alias, entry);
    }
  }
  if ((tagEntry === undefined) !== (tagTextEntry === undefined))
    throw new Error('descriptor: tag() and tagText() go together');
  return Object.freeze({
    k: 'struct',
    fields,
    ns: options?.ns,
    entries,
    byLocal,
    tag: tagEntry,
    tagText: tagTextEntry,
  });
}

interface FieldOptions {
  element?: string;
  /** Other spellings accepted on input (another edition's or a peer's); never written. */
  aliases?: readonly string[];
  secret?: boolean;
}

/** A required field. */
export function req<K extends FieldKind>(kind: K, options?: FieldOptions): Field<K, false> {
  return Object.freeze({
    kind,
    optional: false as const,
    element: options?.element,
    aliases: options?.aliases,
    secret: options?.secret ?? false,
  });
}

/** An optional field. */
export function opt<K extends FieldKind>(kind: K, options?: FieldOptions): Field<K, true> {
  return Object.freeze({
    kind,
    optional: true as const,
    element: options?.element,
    aliases: options?.aliases,
    secret: options?.secret ?? false,
  });
}

// ---- messages ---------------------------------------------------------------------------------

/** request: a service request; response: a positive or negative response (CSTAErrorCode too);
 *  event: an unsolicited report (CSTA events, and SwitchingFunctionDevices segments, which
 *  docs/cti-link.md §4 sends on the event invoke ID without a response). */
export type MessageRole = 'request' | 'response' | 'event';
/** ECMA-323 messages are encoded in the requested edition; ECMA-354 ones always in ECMA-354's. */
export type MessageStandard = 'ecma323' | 'ecma354';

export interface MessageDescriptor<
  T extends string = string,
  R extends MessageRole = MessageRole,
  F extends Fields = Fields,
  P extends string = string,
> {
  readonly type: T;
  readonly role: R;
  readonly standard: MessageStandard;
  /** For a request: the type of its positive response. */
  readonly response: P | undefined;
  /** The root element's fields; `extensions` is added to every message. */
  readonly body: StructKind<F & { extensions: Field<ExtensionsKind, true> }>;
}

const EXTENSIONS_FIELD = opt(extensions());

export function message<
  const T extends string,
  const R extends MessageRole,
  const F extends Fields,
  const P extends string = never,
>(
  type: T,
  role: R,
  fields: F,
  options?: { standard?: MessageStandard; response?: P },
): MessageDescriptor<T, R, F, P> {
  if ('extensions' in fields || 'type' in fields || 'unknown' in fields)
    throw new Error(`descriptor ${type}: reserved field name`);
  const body = struct({ ...fields, extensions: EXTENSIONS_FIELD } as F & {
    extensions: Field<ExtensionsKind, true>;
  });
  return Object.freeze({
    type,
    role,
    standard: options?.standard ?? 'ecma323',
    response: options?.response,
    body,
  });
}

/** The message object a descriptor decodes to. */
export type MessageValue<D> =
  D extends MessageDescriptor<infer T, MessageRole, infer F, string>
    ? Simplify<{ type: T } & StructValue<F & { extensions: Field<ExtensionsKind, true> }>>
    : never;
