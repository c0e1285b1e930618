// The ECMA-323 / ECMA-354 codec, driven by the descriptor table (messages.ts). One codec serves
// both faces (docs/msrcc.md, docs/cti-link.md): SIP INFO bodies and CTI link frames.
//  - decode matches elements by local name whatever the prefix or edition, and reports the
//    edition of the root's namespace (docs/msrcc.md §6);
//  - encode writes the requested ECMA-323 edition (ed3 by default, docs/cti-link.md §2) and
//    ECMA-354 messages always in the ECMA-354 namespace;
//  - unknown children and extensions/privateData/private/* survive decode -> encode as
//    self-contained generic nodes.
import { DesklineError, ErrorCode } from '../util/errors.js';
import { err, ok, type Result } from '../util/result.js';
import {
  DEVICE_ABSENT,
  type CstaExtensions,
  type DeviceAbsent,
  type DeviceRef,
  type FieldEntry,
  type BoolKind,
  type DeviceRefKind,
  type EnumKind,
  type FeaturesKind,
  type IntKind,
  type ListKind,
  type TagKind,
  type TextKind,
  type FieldKind,
  type MessageDescriptor,
  type MessageRole,
  type StructKind,
} from './dsl.js';
import {
  CSTA_NAMESPACE_PREFIX,
  DESCRIPTORS,
  ECMA354_NAMESPACE,
  LCS_NAMESPACE,
  type CstaEvent,
  type CstaMessage,
  type CstaMessageType,
  type CstaRequest,
  type CstaRequestType,
  type CstaResponse,
  type ResponseTypeOf,
} from './messages.js';
import {
  DEFAULT_XML_LIMITS,
  decodeXmlInput,
  encodeXmlNode,
  escapeAttribute,
  escapeText,
  isNCName,
  parseXml,
  parseXmlInto,
  toXmlNode,
  XmlTreeBuilder,
  type NsScope,
  type XmlElement,
  type XmlSink,
  type XmlLimits,
  type XmlNode,
} from './xml.js';

// ---- editions ---------------------------------------------------------------------------------

export const CSTA_EDITIONS = ['ed1', 'ed2', 'ed3', 'ed4', 'ed5', 'ed6', 'ed7', 'ed8', 'ed9'] as const;
export type CstaXmlEdition = (typeof CSTA_EDITIONS)[number];
/** The ECMA-323 edition of a document's namespace, `ecma354` for application-session messages,
 *  `unknown` for any other (or no) namespace. */
export type CstaEdition = CstaXmlEdition | 'ecma354' | 'unknown';

/** ECMA-323 edition N uses `http://www.ecma-international.org/standards/ecma-323/csta/edN`. The
 *  1st edition's namespace had no `/edN` suffix (unverified: no ed1 schema was found). */
export function cstaNamespace(edition: CstaXmlEdition): string {
  return edition === 'ed1' ? CSTA_NAMESPACE_PREFIX.slice(0, -1) : CSTA_NAMESPACE_PREFIX + edition;
}

// Early editions were published under www.ecma.ch (seen in the wild: OpenScape sends
// `http://www.ecma.ch/standards/ecma-323/csta/ed2`); both hosts are recognised on input.
const ECMA_CH_PREFIX = 'http://www.ecma.ch/standards/ecma-323/csta/';
const NAMESPACE_EDITIONS = new Map<string, CstaEdition>([
  ...CSTA_EDITIONS.map((e): [string, CstaEdition] => [cstaNamespace(e), e]),
  ...CSTA_EDITIONS.map((e): [string, CstaEdition] => [ECMA_CH_PREFIX + e, e]),
  [CSTA_NAMESPACE_PREFIX + 'ed1', 'ed1'],
  [ECMA_CH_PREFIX.slice(0, -1), 'ed1'],
  [ECMA354_NAMESPACE, 'ecma354'],
]);

export function editionOfNamespace(namespace: string): CstaEdition {
  return NAMESPACE_EDITIONS.get(namespace) ?? 'unknown';
}

// ---- the table, indexed -----------------------------------------------------------------------

const BY_TYPE: ReadonlyMap<string, MessageDescriptor> = new Map(
  DESCRIPTORS.map((d): [string, MessageDescriptor] => [d.type, d]),
);

/** The descriptor of a message type (undefined for a name that is no CSTA message we know). */
export function descriptorOf(type: string): MessageDescriptor | undefined {
  return BY_TYPE.get(type);
}

export function isCstaMessageType(type: string): type is CstaMessageType {
  return BY_TYPE.has(type);
}

export function roleOf(type: CstaMessageType): MessageRole {
  return (BY_TYPE.get(type) as MessageDescriptor).role;
}

export function isCstaRequest(message: CstaMessage): message is CstaRequest {
  return BY_TYPE.get(message.type)?.role === 'request';
}

/** Positive and negative responses, CSTAErrorCode included. */
export function isCstaResponse(message: CstaMessage): message is CstaResponse {
  return BY_TYPE.get(message.type)?.role === 'response';
}

export function isCstaEvent(message: CstaMessage): message is CstaEvent {
  return BY_TYPE.get(message.type)?.role === 'event';
}

/** A request's positive response type ('MakeCall' -> 'MakeCallResponse'). Its negative response
 *  is CSTAErrorCode (ECMA-323) or `…NegResponse` (ECMA-354). */
export function responseTypeOf<T extends CstaRequestType>(requestType: T): ResponseTypeOf<T> {
  const response = BY_TYPE.get(requestType)?.response;
  if (response === undefined)
    throw new Error(`assertion failed: ${requestType} has no response in the descriptor table`);
  // The descriptor table is the source of ResponseTypeOf<T>: the runtime value is that type.
  return response as ResponseTypeOf<T>;
}

// ---- decode -----------------------------------------------------------------------------------

export interface DecodedCsta {
  message: CstaMessage;
  /** Namespace URI of the root element ('' when none). */
  namespace: string;
  edition: CstaEdition;
}

/** Thrown inside the decoder only; decodeCsta() converts it to a Result. */
class DecodeFailure {
  constructor(readonly error: DesklineError) {}
}

interface DecodeContext {
  /** Namespace of the root: generic nodes in it need no declaration when re-encoded. */
  readonly homeNs: string;
  /** Element path from the root, for error messages (`MakeCall/calledDirectoryNumber`). */
  readonly path: string[];
}

/** Decodes one CSTA XML document. Never throws: every failure is a typed DesklineError. */
export function decodeCsta(input: Uint8Array | string, limits?: Partial<XmlLimits>): Result<DecodedCsta> {
  return decode(input, limits, true);
}

/**
 * The reference decoder: decodeCsta through the element tree alone. decodeCsta answers with it
 * whenever its direct decoder (below) does not finish a valid message, which makes the errors
 * exact; gateway/test/csta/direct-decode.test.ts holds the two to the same answers on vectors,
 * generated messages and mutated ones.
 */
export function decodeCstaTree(input: Uint8Array | string, limits?: Partial<XmlLimits>): Result<DecodedCsta> {
  return decode(input, limits, false);
}

function decode(
  input: Uint8Array | string,
  limits: Partial<XmlLimits> | undefined,
  direct: boolean,
): Result<DecodedCsta> {
  try {
    const effective: XmlLimits = limits === undefined ? DEFAULT_XML_LIMITS : effectiveLimits(limits);
    const text = decodeXmlInput(input, effective);
    if (!text.ok) return text;
    // The direct decoder fills the typed message as the document is read, without the element
    // tree. It gives up on anything but a valid message; the tree below then says exactly what is
    // wrong, as it always has (the same parser and checks, so a well-formedness error is the
    // same either way and is returned at once).
    if (direct) {
      const decoded = decodeDirect(text.value, effective);
      if (decoded !== undefined) return decoded;
    }
    const parsed = parseXml(text.value, effective);
    if (!parsed.ok) return parsed;
    const root = parsed.value;
    const descriptor = BY_TYPE.get(root.local);
    if (descriptor === undefined) {
      return err(
        new DesklineError(ErrorCode.CstaUnknownMessage, `unknown CSTA message <${clip(root.local)}>`, {
          detail: { element: clip(root.local), namespace: clip(root.ns) },
        }),
      );
    }
    // A root in a namespace is CSTA only in an ECMA-323 (or, for application sessions, ECMA-354)
    // one: `<MonitorStart xmlns="urn:evil">` or an `ed3:` prefix bound to another URI is not
    // ECMA-323, whatever its local name says. A root in no namespace decodes (edition `unknown`:
    // some call servers send that); the MS-RCC face refuses it (docs/csta-codec.md "Namespaces").
    const edition = editionOfNamespace(root.ns);
    if (edition === 'unknown' && root.ns !== '') {
      return err(
        new DesklineError(
          ErrorCode.CstaUnknownMessage,
          `<${clip(root.local)}> is in namespace "${clip(root.ns)}", which is no edition of ECMA-323`,
          { detail: { element: clip(root.local), namespace: clip(root.ns) } },
        ),
      );
    }
    const context: DecodeContext = { homeNs: root.ns, path: [descriptor.type] };
    const body: Record<string, unknown> = { type: descriptor.type };
    decodeStruct(root, descriptor.body, context, body);
    // decodeStruct filled `body` exactly as descriptor.body prescribes, which is how CstaMessage
    // is derived (MessageValue<descriptor>): TypeScript cannot follow a runtime table.
    const message = body as CstaMessage;
    return ok({ message, namespace: root.ns, edition });
  } catch (e) {
    if (e instanceof DecodeFailure) return err(e.error);
    return err(
      new DesklineError(
        ErrorCode.Internal,
        `CSTA decoder failure: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      ),
    );
  }
}

/** The limits with the defaults filled in, once per limits object (callers pass the same one for
 *  every document: the gateway's configured caps). */
const mergedLimits = new WeakMap<Partial<XmlLimits>, XmlLimits>();
function effectiveLimits(limits: Partial<XmlLimits>): XmlLimits {
  let merged = mergedLimits.get(limits);
  if (merged === undefined || !sameLimits(merged, limits)) {
    merged = { ...DEFAULT_XML_LIMITS, ...limits };
    mergedLimits.set(limits, merged);
  }
  return merged;
}
/** A caller may change its limits object between calls: the cached merge must still agree. */
function sameLimits(merged: XmlLimits, limits: Partial<XmlLimits>): boolean {
  return (
    (limits.maxBytes === undefined || limits.maxBytes === merged.maxBytes) &&
    (limits.maxDepth === undefined || limits.maxDepth === merged.maxDepth) &&
    (limits.maxAttributes === undefined || limits.maxAttributes === merged.maxAttributes) &&
    (limits.maxElements === undefined || limits.maxElements === merged.maxElements)
  );
}

function clip(value: string, max = 80): string {
  return value.length <= max ? value : value.slice(0, max) + '…';
}

function pathOf(context: DecodeContext, last?: string): string {
  return last === undefined ? context.path.join('/') : context.path.join('/') + '/' + last;
}

function invalid(context: DecodeContext, reason: string, value?: string, secret = false): never {
  const path = pathOf(context);
  const shown = value === undefined ? undefined : secret ? '[redacted]' : clip(value);
  throw new DecodeFailure(
    new DesklineError(
      ErrorCode.CstaInvalidField,
      shown === undefined ? `${path}: ${reason}` : `${path}: ${reason}: "${shown}"`,
      {
        detail: shown === undefined ? { path } : { path, value: shown },
      },
    ),
  );
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 10 && c !== 9 && c !== 13) return false;
  }
  return true;
}

function decodeStruct(
  el: XmlElement,
  kind: StructKind,
  context: DecodeContext,
  target: Record<string, unknown>,
): void {
  // ECMA-323 types are element-only: text beside child elements is not data.
  if (el.text !== '' && !isBlank(el.text)) invalid(context, 'unexpected text content', el.text);
  let unknown: XmlNode[] | undefined;
  const children = el.children;
  if (children !== undefined) {
    for (let i = 0; i < children.length; i++) {
      const child = children[i] as XmlElement;
      const entry = kind.byLocal.get(child.local);
      if (entry === undefined) {
        const tagEntry = kind.tag;
        const tagKind = tagEntry?.field.kind.k === 'tag' ? tagEntry.field.kind : undefined;
        // Another spelling of a name (an older edition's, a peer's) is read as the schema's name.
        const name = tagKind?.aliases?.get(child.local) ?? child.local;
        if (
          tagEntry !== undefined &&
          tagKind?.valueSet.has(name) === true &&
          target[tagEntry.key] === undefined
        ) {
          context.path.push(child.local);
          const text = leafText(child, context, false);
          target[tagEntry.key] = name;
          target[(kind.tagText as { key: string }).key] = tagKind.textAliases?.get(name)?.get(text) ?? text;
          context.path.pop();
          continue;
        }
        (unknown ??= []).push(toXmlNode(child, context.homeNs));
        continue;
      }
      context.path.push(entry.element);
      if (target[entry.key] !== undefined) invalid(context, 'element appears more than once');
      target[entry.key] = decodeKind(child, entry.field.kind, entry.field.secret, context);
      context.path.pop();
    }
  }
  const entries = kind.entries;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as (typeof entries)[number];
    if (!entry.field.optional && target[entry.key] === undefined) {
      const path = pathOf(context, entry.element);
      throw new DecodeFailure(
        new DesklineError(ErrorCode.CstaMissingField, `missing required field ${path}`, { detail: { path } }),
      );
    }
  }
  if (unknown !== undefined) target['unknown'] = unknown;
}

function leafText(el: XmlElement, context: DecodeContext, secret: boolean): string {
  if (el.children !== undefined)
    invalid(context, 'expected text, found child elements', secret ? undefined : el.children[0]?.name);
  return el.text;
}

const INT_RE = /^[+-]?[0-9]{1,16}$/;

/** The value of a text, int, bool or enum element from its text. */
function leafValue(
  text: string,
  kind: TextKind | IntKind | BoolKind | EnumKind,
  secret: boolean,
  context: DecodeContext,
): unknown {
  switch (kind.k) {
    case 'text':
      return text;
    case 'int': {
      const t = text.trim();
      if (!INT_RE.test(t)) invalid(context, 'not an integer', t, secret);
      const n = Number(t);
      if (n < kind.min || n > kind.max)
        invalid(context, `integer out of range ${kind.min}..${kind.max}`, t, secret);
      return n;
    }
    case 'bool': {
      // XML Schema §3.2.2 boolean: true, false, 1, 0 (whitespace collapsed).
      const t = text.trim();
      if (t === 'true' || t === '1') return true;
      if (t === 'false' || t === '0') return false;
      return invalid(context, 'not a boolean', t, secret);
    }
    case 'enum': {
      const t = text.trim();
      if (kind.open ? t === '' : !kind.valueSet.has(t))
        invalid(context, kind.open ? 'empty value' : `not one of ${kind.values.join('|')}`, t, secret);
      return t;
    }
    default: {
      const never: never = kind;
      throw new Error(`assertion failed: not a leaf kind ${JSON.stringify(never)}`);
    }
  }
}

function decodeKind(el: XmlElement, kind: FieldKind, secret: boolean, context: DecodeContext): unknown {
  switch (kind.k) {
    case 'text':
    case 'int':
    case 'bool':
    case 'enum':
      return leafValue(leafText(el, context, secret), kind, secret, context);
    case 'flag':
      return true;
    case 'device':
      return decodeDevice(el, context);
    case 'list': {
      const out: unknown[] = [];
      const children = el.children;
      if (el.text !== '' && !isBlank(el.text)) invalid(context, 'unexpected text content', el.text);
      if (children !== undefined) {
        for (let i = 0; i < children.length; i++) {
          const child = children[i] as XmlElement;
          // A list wrapper holds only its items (ECMA-323 SEQUENCE OF); anything else is skipped.
          if (child.local !== kind.item && kind.aliases?.has(child.local) !== true) continue;
          context.path.push(kind.item);
          out.push(decodeKind(child, kind.of, secret, context));
          context.path.pop();
        }
      }
      return out;
    }
    case 'struct': {
      const target: Record<string, unknown> = {};
      decodeStruct(el, kind, context, target);
      return target;
    }
    case 'features':
      return decodeFeatures(el, kind, context);
    case 'extensions':
      return decodeExtensions(el, context);
    case 'tag':
    case 'tagText':
      // Handled by decodeStruct: a tag is the name of a child, not a child.
      throw new Error('assertion failed: tag fields are decoded by their struct');
    default: {
      const never: never = kind;
      throw new Error(`assertion failed: unknown field kind ${JSON.stringify(never)}`);
    }
  }
}

// ExtendedDeviceID alternatives (ECMA-269 §12.3.14) all carry an identifier as text.
const DEVICE_ID_ELEMENTS = new Set([
  'deviceIdentifier',
  'numberDialed',
  'implicitPublic',
  'explicitPublic',
  'implicitPrivate',
  'explicitPrivate',
  'other',
]);
const DEVICE_ABSENT_SET: ReadonlySet<string> = new Set(DEVICE_ABSENT);

function decodeDevice(el: XmlElement, context: DecodeContext): DeviceRef {
  const children = el.children;
  if (children === undefined) {
    // Some servers write the identifier directly (`<callingDevice>1002</callingDevice>`): accept it.
    if (isBlank(el.text)) invalid(context, 'device without identifier or reason');
    return { id: el.text };
  }
  if (children.length !== 1)
    invalid(context, 'device must have exactly one child element', children.map((c) => c.local).join(','));
  const child = children[0] as XmlElement;
  if (DEVICE_ID_ELEMENTS.has(child.local)) {
    context.path.push(child.local);
    const id = leafText(child, context, false);
    context.path.pop();
    return { id };
  }
  if (DEVICE_ABSENT_SET.has(child.local)) return { absent: child.local as DeviceAbsent };
  return invalid(context, 'unknown device identifier form', child.local);
}

function decodeFeatures(
  el: XmlElement,
  kind: FeaturesKind,
  context: DecodeContext,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const lists = el.children;
  if (lists === undefined) return out;
  for (const listEl of lists) {
    const name = kind.aliases?.get(listEl.local) ?? listEl.local;
    if (Object.hasOwn(out, name)) {
      context.path.push(listEl.local);
      invalid(context, 'element appears more than once');
    }
    const names: string[] = [];
    if (listEl.children !== undefined) for (const item of listEl.children) names.push(item.local);
    out[name] = names;
  }
  return out;
}

function decodeExtensions(el: XmlElement, context: DecodeContext): CstaExtensions {
  const out: CstaExtensions = {};
  const children = el.children;
  if (children === undefined) return out;
  for (const child of children) {
    if (child.local === 'privateData' && out.privateData === undefined && isPlainPrivateData(child)) {
      const nodes: XmlNode[] = [];
      for (const privateEl of child.children ?? [])
        for (const node of privateEl.children ?? []) nodes.push(toXmlNode(node, context.homeNs));
      out.privateData = nodes;
    } else {
      // Anything we would not re-encode identically is kept whole.
      (out.unknown ??= []).push(toXmlNode(child, context.homeNs));
    }
  }
  return out;
}

/** privateData holding only `private` elements whose content is elements (ECMA-323 CSTAPrivateData).
 *  Namespace declarations on them are fine (switches declare their prefix on `<private>`):
 *  toXmlNode copies what each private node needs onto it. */
function isPlainPrivateData(el: XmlElement): boolean {
  if ((el.text !== '' && !isBlank(el.text)) || !onlyDeclarations(el.attrs)) return false;
  for (const p of el.children ?? []) {
    if (p.local !== 'private' || !onlyDeclarations(p.attrs) || (p.text !== '' && !isBlank(p.text)))
      return false;
  }
  return true;
}

function onlyDeclarations(attrs: readonly string[] | undefined): boolean {
  if (attrs === undefined) return true;
  for (let k = 0; k < attrs.length; k += 2) {
    const name = attrs[k] as string;
    if (name !== 'xmlns' && !name.startsWith('xmlns:')) return false;
  }
  return true;
}

// ---- decode without a tree ----------------------------------------------------------------------
//
// The element tree costs an object, a name and usually a children array per element, all garbage
// a moment later: on the gateway's hot path (a CTI response and the client's request per CSTA
// request, the events in between) that was most of what decoding allocated (docs/benchmarks.md,
// "Profile findings and engine changes"). The direct decoder is an XmlSink: the parser's checks
// and limits are unchanged, and each element's value is built as its end tag is read, into the
// same objects, in the same key order, as decodeStruct would build them. Rare or small shapes
// (unknown elements, private data and other extensions, feature lists) are captured as a subtree
// and handed to the tree decoder's own functions. Anything the tree decoder would refuse makes
// the direct decoder give up (GIVE_UP), and decodeCsta asks the tree decoder for the exact error.

const enum Mode {
  /** A struct: children by descriptor entry, `target` the object being filled. */
  Struct,
  /** text, int, bool or enum: the element's text. */
  Leaf,
  /** CSTAErrorCode's chosen element: its name and text fill two fields. */
  Tag,
  /** A list wrapper: items pushed onto `target`, other children skipped. */
  List,
  /** A device reference (DeviceRefKind): one child or a bare identifier. */
  Device,
  /** The identifier element inside a device reference. */
  DeviceId,
  /** An element whose content does not matter (a flag, a list's foreign child, `<notKnown/>`). */
  Skip,
  /** A subtree kept as elements for the tree decoder (`kind`) or as a generic node (no kind). */
  Capture,
}

/** The state of one open element. Frames are reused from one document to the next. */
interface Frame {
  mode: Mode;
  kind: FieldKind | undefined;
  /** Struct: the object filled; List: the array. */
  target: Record<string, unknown> | unknown[] | undefined;
  /** The field of the parent struct this element fills ('' under a list or a device). */
  key: string;
  secret: boolean;
  text: string;
  /** Struct: unknown children, as generic nodes. */
  unknown: XmlNode[] | undefined;
  /** Device: children seen; Device/Tag: the value so far. */
  count: number;
  value: unknown;
  /** Tag: the schema's name of the chosen element, and the field its text goes to. */
  tagName: string;
  tagTextKey: string;
}

/** Thrown by the direct decoder to give up; never leaves decodeDirect. */
const GIVE_UP = Symbol('give up');

class DirectDecoder implements XmlSink {
  private readonly frames: Frame[] = [];
  private depth = 0;
  private capture: XmlTreeBuilder | undefined;
  private captureDepth = 0;
  result: Record<string, unknown> | undefined;
  namespace = '';
  edition: CstaEdition = 'unknown';
  /** For the tree decoder's functions on captured subtrees (their errors only make us give up). */
  private readonly context: { homeNs: string; path: string[] } = { homeNs: '', path: [] };

  reset(): void {
    // Drop what the previous document left in the frames (its values are the caller's now).
    for (let i = 0; i < this.depth; i++) this.clear(this.frames[i] as Frame);
    this.depth = 0;
    this.capture = undefined;
    this.captureDepth = 0;
    this.result = undefined;
    this.context.path.length = 0;
  }

  private clear(frame: Frame): void {
    frame.kind = undefined;
    frame.target = undefined;
    frame.unknown = undefined;
    frame.value = undefined;
    frame.text = '';
  }

  private push(mode: Mode, kind: FieldKind | undefined, key: string, secret: boolean): Frame {
    let frame = this.frames[this.depth];
    if (frame === undefined) {
      frame = {
        mode,
        kind,
        target: undefined,
        key,
        secret,
        text: '',
        unknown: undefined,
        count: 0,
        value: undefined,
        tagName: '',
        tagTextKey: '',
      };
      this.frames.push(frame);
    } else {
      frame.mode = mode;
      frame.kind = kind;
      frame.target = undefined;
      frame.key = key;
      frame.secret = secret;
      frame.text = '';
      frame.unknown = undefined;
      frame.count = 0;
      frame.value = undefined;
    }
    this.depth++;
    return frame;
  }

  startElement(
    name: string,
    prefix: string,
    local: string,
    ns: string,
    attrs: string[] | undefined,
    scope: NsScope,
    offset: number,
  ): void {
    const capture = this.capture;
    if (capture !== undefined) {
      this.captureDepth++;
      capture.startElement(name, prefix, local, ns, attrs, scope, offset);
      return;
    }
    if (this.depth === 0) {
      const descriptor = BY_TYPE.get(local);
      if (descriptor === undefined) throw GIVE_UP;
      const edition = editionOfNamespace(ns);
      if (edition === 'unknown' && ns !== '') throw GIVE_UP;
      this.namespace = ns;
      this.edition = edition;
      this.context.homeNs = ns;
      this.push(Mode.Struct, descriptor.body, '', false).target = { type: descriptor.type };
      return;
    }
    const parent = this.frames[this.depth - 1] as Frame;
    switch (parent.mode) {
      case Mode.Struct: {
        const kind = parent.kind as StructKind;
        const target = parent.target as Record<string, unknown>;
        const entry = kind.byLocal.get(local);
        if (entry === undefined) {
          const tagEntry = kind.tag;
          const tagKind = tagEntry?.field.kind.k === 'tag' ? tagEntry.field.kind : undefined;
          const tagName = tagKind?.aliases?.get(local) ?? local;
          if (
            tagEntry !== undefined &&
            tagKind?.valueSet.has(tagName) === true &&
            target[tagEntry.key] === undefined
          ) {
            const frame = this.push(Mode.Tag, tagKind, tagEntry.key, false);
            frame.tagName = tagName;
            frame.tagTextKey = (kind.tagText as FieldEntry).key;
            return;
          }
          this.startCapture(undefined, '', false, name, prefix, local, ns, attrs, scope, offset);
          return;
        }
        if (target[entry.key] !== undefined) throw GIVE_UP;
        this.startField(
          entry.field.kind,
          entry.key,
          entry.field.secret,
          name,
          prefix,
          local,
          ns,
          attrs,
          scope,
          offset,
        );
        return;
      }
      case Mode.List: {
        const kind = parent.kind as ListKind;
        // A list wrapper holds only its items (ECMA-323 SEQUENCE OF); anything else is skipped.
        if (local !== kind.item && kind.aliases?.has(local) !== true)
          this.push(Mode.Skip, undefined, '', false);
        else this.startField(kind.of, '', parent.secret, name, prefix, local, ns, attrs, scope, offset);
        return;
      }
      case Mode.Device: {
        if (parent.count++ > 0) throw GIVE_UP;
        if (DEVICE_ID_ELEMENTS.has(local)) this.push(Mode.DeviceId, undefined, '', false);
        else if (DEVICE_ABSENT_SET.has(local)) {
          parent.value = { absent: local as DeviceAbsent };
          this.push(Mode.Skip, undefined, '', false);
        } else throw GIVE_UP;
        return;
      }
      case Mode.Skip:
        this.push(Mode.Skip, undefined, '', false);
        return;
      case Mode.Leaf:
      case Mode.Tag:
      case Mode.DeviceId:
        // Text was expected, an element came.
        throw GIVE_UP;
      case Mode.Capture:
        throw new Error('assertion failed: capture frames receive no events');
      default: {
        const never: never = parent.mode;
        throw new Error(`assertion failed: frame mode ${String(never)}`);
      }
    }
  }

  private startField(
    kind: FieldKind,
    key: string,
    secret: boolean,
    name: string,
    prefix: string,
    local: string,
    ns: string,
    attrs: string[] | undefined,
    scope: NsScope,
    offset: number,
  ): void {
    switch (kind.k) {
      case 'text':
      case 'int':
      case 'bool':
      case 'enum':
        this.push(Mode.Leaf, kind, key, secret);
        return;
      case 'flag':
        this.push(Mode.Skip, kind, key, secret).value = true;
        return;
      case 'struct':
        this.push(Mode.Struct, kind, key, secret).target = {};
        return;
      case 'list':
        this.push(Mode.List, kind, key, secret).target = [];
        return;
      case 'device':
        this.push(Mode.Device, kind, key, secret);
        return;
      case 'features':
      case 'extensions':
      case 'tag':
      case 'tagText':
        this.startCapture(kind, key, secret, name, prefix, local, ns, attrs, scope, offset);
        return;
      default: {
        const never: never = kind;
        throw new Error(`assertion failed: unknown field kind ${JSON.stringify(never)}`);
      }
    }
  }

  private startCapture(
    kind: FieldKind | undefined,
    key: string,
    secret: boolean,
    name: string,
    prefix: string,
    local: string,
    ns: string,
    attrs: string[] | undefined,
    scope: NsScope,
    offset: number,
  ): void {
    this.push(Mode.Capture, kind, key, secret);
    const capture = new XmlTreeBuilder();
    capture.startElement(name, prefix, local, ns, attrs, scope, offset);
    this.capture = capture;
    this.captureDepth = 1;
  }

  characters(text: string): void {
    if (this.capture !== undefined) {
      this.capture.characters(text);
      return;
    }
    const frame = this.frames[this.depth - 1] as Frame;
    if (frame.mode !== Mode.Skip) frame.text += text;
  }

  endElement(): void {
    const capture = this.capture;
    if (capture !== undefined) {
      capture.endElement();
      if (--this.captureDepth > 0) return;
      this.capture = undefined;
    }
    const frame = this.frames[--this.depth] as Frame;
    let value: unknown;
    switch (frame.mode) {
      case Mode.Struct: {
        // ECMA-323 types are element-only: text beside child elements is not data.
        if (frame.text !== '' && !isBlank(frame.text)) throw GIVE_UP;
        const kind = frame.kind as StructKind;
        const target = frame.target as Record<string, unknown>;
        const entries = kind.entries;
        for (let i = 0; i < entries.length; i++) {
          const entry = entries[i] as FieldEntry;
          if (!entry.field.optional && target[entry.key] === undefined) throw GIVE_UP;
        }
        if (frame.unknown !== undefined) target['unknown'] = frame.unknown;
        value = target;
        break;
      }
      case Mode.Leaf:
        value = leafValue(
          frame.text,
          frame.kind as TextKind | IntKind | BoolKind | EnumKind,
          frame.secret,
          this.context,
        );
        break;
      case Mode.Tag: {
        const parent = this.frames[this.depth - 1] as Frame;
        const target = parent.target as Record<string, unknown>;
        const tagKind = frame.kind as TagKind;
        target[frame.key] = frame.tagName;
        target[frame.tagTextKey] = tagKind.textAliases?.get(frame.tagName)?.get(frame.text) ?? frame.text;
        this.clear(frame);
        return;
      }
      case Mode.List:
        if (frame.text !== '' && !isBlank(frame.text)) throw GIVE_UP;
        value = frame.target;
        break;
      case Mode.Device:
        if (frame.count === 0) {
          // Some servers write the identifier directly (`<callingDevice>1002</callingDevice>`).
          if (isBlank(frame.text)) throw GIVE_UP;
          value = { id: frame.text };
        } else value = frame.value;
        break;
      case Mode.DeviceId:
        (this.frames[this.depth - 1] as Frame).value = { id: frame.text };
        this.clear(frame);
        return;
      case Mode.Skip:
        if (frame.kind === undefined) {
          this.clear(frame);
          return;
        }
        value = frame.value; // a flag
        break;
      case Mode.Capture: {
        const el = capture?.root as XmlElement;
        const kind = frame.kind;
        if (kind === undefined) {
          const parent = this.frames[this.depth - 1] as Frame;
          (parent.unknown ??= []).push(toXmlNode(el, this.context.homeNs));
          this.clear(frame);
          return;
        }
        // The path is only for messages of errors that make us give up.
        this.context.path.length = 0;
        value = decodeKind(el, kind, frame.secret, this.context);
        break;
      }
      default: {
        const never: never = frame.mode;
        throw new Error(`assertion failed: frame mode ${String(never)}`);
      }
    }
    this.clear(frame);
    if (this.depth === 0) {
      this.result = value as Record<string, unknown>;
      return;
    }
    const parent = this.frames[this.depth - 1] as Frame;
    if (parent.mode === Mode.Struct) (parent.target as Record<string, unknown>)[frame.key] = value;
    else if (parent.mode === Mode.List) (parent.target as unknown[]).push(value);
    else throw new Error('assertion failed: a value for a frame that takes none');
  }
}

/** One decoder, reused: decoding is synchronous and never re-entered. */
const directDecoder = new DirectDecoder();

/** decodeCsta's fast path: the decoded message, a well-formedness error, or undefined when the
 *  tree decoder must decide (any other failure). */
function decodeDirect(text: string, limits: XmlLimits): Result<DecodedCsta> | undefined {
  const decoder = directDecoder;
  decoder.reset();
  try {
    const error = parseXmlInto(text, limits, decoder);
    if (error !== undefined) return err(error);
    const message = decoder.result;
    if (message === undefined) return undefined;
    // Filled exactly as decodeStruct fills it (see above).
    return ok({ message: message as CstaMessage, namespace: decoder.namespace, edition: decoder.edition });
  } catch {
    // GIVE_UP, a DecodeFailure from a captured subtree, or a bug: the tree decoder decides.
    return undefined;
  } finally {
    decoder.reset();
  }
}

// ---- encode -----------------------------------------------------------------------------------

export interface EncodeOptions {
  /** ECMA-323 edition for ECMA-323 messages (default ed3). Ignored for ECMA-354 messages. */
  edition?: CstaEdition;
  /** Write `<?xml version="1.0" encoding="UTF-8"?>` first (default true). */
  declaration?: boolean;
}

/** Element names we write from values (feature lists): keep them plain NCNames. */
const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';
const NAMESPACE_OF_EDITION = new Map<CstaEdition, string>(
  CSTA_EDITIONS.map((e): [CstaEdition, string] => [e, cstaNamespace(e)]),
);
const ED3_NAMESPACE = cstaNamespace('ed3');

/**
 * Encodes a message as one XML document. Never fails on a message that satisfies its type; a
 * value of the wrong JavaScript type (a bug in the caller) throws an assertion error.
 */
export function encodeCsta(message: CstaMessage, options?: EncodeOptions): string {
  const descriptor = BY_TYPE.get(message.type);
  if (descriptor === undefined)
    throw new Error(`assertion failed: unknown CSTA message type ${String(message.type)}`);
  const namespace =
    descriptor.standard === 'ecma354'
      ? ECMA354_NAMESPACE
      : (NAMESPACE_OF_EDITION.get(options?.edition ?? 'ed3') ?? ED3_NAMESPACE);
  const body = encodeStructBody(message, descriptor.body, '', descriptor.type);
  const root = rootTags(descriptor.type, namespace, options?.declaration !== false);
  return body === '' ? root.empty : root.open + body + root.close;
}

/** Start, end and empty-element tags of one name, written once and reused: an encoded message is
 *  mostly these, and building each from pieces every time made most of encodeCsta's garbage
 *  (docs/benchmarks.md, "Profile findings and engine changes"). */
interface Tags {
  readonly open: string;
  readonly close: string;
  readonly empty: string;
}
/** Bounded: names come from the descriptors, feature lists and generic nodes' prefixes. */
const TAG_CACHE_LIMIT = 4096;
const tagCache = new Map<string, Tags>();

function tagsOf(name: string): Tags {
  let tags = tagCache.get(name);
  if (tags === undefined) {
    tags = { open: '<' + name + '>', close: '</' + name + '>', empty: '<' + name + '/>' };
    if (tagCache.size < TAG_CACHE_LIMIT) tagCache.set(name, tags);
  }
  return tags;
}

/** The root's tags with its namespace declaration (and the XML declaration before it), by
 *  namespace then type: both are constant strings, so the lookups hash nothing. */
function rootTags(type: string, namespace: string, declaration: boolean): Tags {
  const byNamespace = declaration ? rootTagsWithDeclaration : rootTagsBare;
  let byType = byNamespace.get(namespace);
  if (byType === undefined) {
    byType = new Map();
    if (byNamespace.size < TAG_CACHE_LIMIT) byNamespace.set(namespace, byType);
  }
  let tags = byType.get(type);
  if (tags === undefined) {
    const head = declaration ? DECLARATION : '';
    tags = {
      open: head + '<' + type + ' xmlns="' + namespace + '">',
      close: '</' + type + '>',
      empty: head + '<' + type + ' xmlns="' + namespace + '"/>',
    };
    if (byType.size < TAG_CACHE_LIMIT) byType.set(type, tags);
  }
  return tags;
}
const rootTagsWithDeclaration = new Map<string, Map<string, Tags>>();
const rootTagsBare = new Map<string, Map<string, Tags>>();

function wrongType(path: string, expected: string): never {
  throw new Error(`assertion failed: ${path} is not ${expected}`);
}

function encodeStructBody(
  value: Readonly<Record<string, unknown>>,
  kind: StructKind,
  prefix: string,
  path: string,
): string {
  let out = '';
  let unknownDone = false;
  const entries = kind.entries;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as (typeof entries)[number];
    const v = value[entry.key];
    const fieldKind = entry.field.kind;
    if (fieldKind.k === 'extensions') {
      // Unknown children go before extensions, which ECMA-323 puts last in every sequence.
      out += encodeUnknown(value['unknown'], path);
      unknownDone = true;
    }
    if (v === undefined) continue;
    if (fieldKind.k === 'tag') {
      const tagText = kind.tagText === undefined ? undefined : value[kind.tagText.key];
      if (typeof v !== 'string') wrongType(path + '/' + entry.key, 'a string');
      if (typeof tagText !== 'string') wrongType(path + '/' + (kind.tagText?.key ?? 'value'), 'a string');
      out += '<' + v + '>' + escapeText(tagText) + '</' + v + '>';
      continue;
    }
    if (fieldKind.k === 'tagText') continue;
    out += encodeKind(
      v,
      fieldKind,
      prefix === '' ? entry.element : prefix + ':' + entry.element,
      prefix,
      path,
      entry.element,
    );
  }
  if (!unknownDone) out += encodeUnknown(value['unknown'], path);
  return out;
}

function encodeUnknown(nodes: unknown, path: string): string {
  if (nodes === undefined) return '';
  if (!Array.isArray(nodes)) wrongType(path + '/unknown', 'an array of XmlNode');
  let out = '';
  for (const node of nodes as readonly XmlNode[]) out += encodeXmlNode(node);
  return out;
}

/** `parent` + '/' + `element` is the value's path, for assertion messages only: joined only for a
 *  container (the path of its children) or an error, not for every leaf. */
function encodeKind(
  v: unknown,
  kind: FieldKind,
  name: string,
  prefix: string,
  parent: string,
  element: string,
): string {
  switch (kind.k) {
    case 'text':
    case 'enum': {
      if (typeof v !== 'string') wrongType(parent + '/' + element, 'a string');
      const tags = tagsOf(name);
      return v === '' ? tags.empty : tags.open + escapeText(v) + tags.close;
    }
    case 'int': {
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) wrongType(parent + '/' + element, 'an integer');
      const tags = tagsOf(name);
      return tags.open + String(v) + tags.close;
    }
    case 'bool': {
      if (typeof v !== 'boolean') wrongType(parent + '/' + element, 'a boolean');
      const tags = tagsOf(name);
      return tags.open + (v ? 'true' : 'false') + tags.close;
    }
    case 'flag':
      return v === true ? tagsOf(name).empty : '';
    case 'device':
      return encodeDevice(v, kind, name, prefix, parent, element);
    case 'list': {
      const path = parent + '/' + element;
      if (!Array.isArray(v)) wrongType(path, 'an array');
      const item = prefix === '' ? kind.item : prefix + ':' + kind.item;
      let inner = '';
      for (const each of v as readonly unknown[])
        inner += encodeKind(each, kind.of, item, prefix, path, kind.item);
      const tags = tagsOf(name);
      return inner === '' ? tags.empty : tags.open + inner + tags.close;
    }
    case 'struct': {
      const path = parent + '/' + element;
      if (typeof v !== 'object' || v === null) wrongType(path, 'an object');
      // Every descriptor-derived value is a plain object keyed by field names.
      if (kind.ns === undefined) {
        const inner = encodeStructBody(v as Readonly<Record<string, unknown>>, kind, prefix, path);
        const tags = tagsOf(name);
        return inner === '' ? tags.empty : tags.open + inner + tags.close;
      }
      const ownPrefix = kind.ns.prefix;
      const tagName = kind.ns.prefix + ':' + name.slice(name.indexOf(':') + 1);
      const open = '<' + tagName + ' xmlns:' + kind.ns.prefix + '="' + escapeAttribute(kind.ns.uri) + '"';
      const inner = encodeStructBody(v as Readonly<Record<string, unknown>>, kind, ownPrefix, path);
      return inner === '' ? open + '/>' : open + '>' + inner + '</' + tagName + '>';
    }
    case 'features': {
      const path = parent + '/' + element;
      if (typeof v !== 'object' || v === null) wrongType(path, 'an object');
      let inner = '';
      for (const [listName, names] of Object.entries(v)) {
        if (!Array.isArray(names)) wrongType(path + '/' + listName, 'an array of names');
        let items = '';
        if (!isNCName(listName)) wrongType(path + '/' + listName, 'an XML name');
        for (const item of names as readonly unknown[]) {
          if (typeof item !== 'string' || !isNCName(item))
            wrongType(path + '/' + listName, 'an array of XML names');
          items += '<' + item + '/>';
        }
        inner += items === '' ? '<' + listName + '/>' : '<' + listName + '>' + items + '</' + listName + '>';
      }
      return inner === '' ? '<' + name + '/>' : '<' + name + '>' + inner + '</' + name + '>';
    }
    case 'extensions': {
      const path = parent + '/' + element;
      if (typeof v !== 'object' || v === null) wrongType(path, 'an object');
      const ext = v as CstaExtensions;
      let inner = encodeUnknown(ext.unknown, path);
      if (ext.privateData !== undefined) {
        let nodes = '';
        for (const node of ext.privateData) nodes += encodeXmlNode(node);
        inner += '<privateData><private>' + nodes + '</private></privateData>';
      }
      return inner === '' ? '<' + name + '/>' : '<' + name + '>' + inner + '</' + name + '>';
    }
    case 'tag':
    case 'tagText':
      throw new Error('assertion failed: tag fields are encoded by their struct');
    default: {
      const never: never = kind;
      throw new Error(`assertion failed: unknown field kind ${JSON.stringify(never)}`);
    }
  }
}

function encodeDevice(
  v: unknown,
  kind: DeviceRefKind,
  name: string,
  prefix: string,
  parent: string,
  element: string,
): string {
  if (typeof v !== 'object' || v === null) wrongType(parent + '/' + element, 'a DeviceRef');
  const ref = v as Partial<{ id: unknown; absent: unknown }>;
  const p = prefix === '' ? '' : prefix + ':';
  if (typeof ref.id === 'string') {
    if (prefix === '') {
      const tags = deviceTagsOf(name, kind.idElement);
      return tags.open + escapeText(ref.id) + tags.close;
    }
    const idEl = p + kind.idElement;
    return '<' + name + '><' + idEl + '>' + escapeText(ref.id) + '</' + idEl + '></' + name + '>';
  }
  if (typeof ref.absent === 'string' && DEVICE_ABSENT_SET.has(ref.absent))
    return '<' + name + '><' + p + ref.absent + '/></' + name + '>';
  return wrongType(parent + '/' + element, 'a DeviceRef');
}

/** `<name><deviceIdentifier>` and its end, per device element name (descriptor names only). */
const DEVICE_TAGS = {
  deviceIdentifier: new Map<string, Tags>(),
  numberDialed: new Map<string, Tags>(),
};

function deviceTagsOf(name: string, idElement: DeviceRefKind['idElement']): Tags {
  const cache = DEVICE_TAGS[idElement];
  let tags = cache.get(name);
  if (tags === undefined) {
    tags = {
      open: '<' + name + '><' + idElement + '>',
      close: '</' + idElement + '></' + name + '>',
      empty: '',
    };
    if (cache.size < TAG_CACHE_LIMIT) cache.set(name, tags);
  }
  return tags;
}

// ---- helpers for callers ----------------------------------------------------------------------

/** The identifier of a device reference, or undefined when the event says there is none. */
export function deviceRefId(ref: DeviceRef | undefined): string | undefined {
  return ref !== undefined && 'id' in ref ? ref.id : undefined;
}

/** Namespace URI of a generic node (its declarations travel with it, see toXmlNode). */
export function xmlNodeNamespace(node: XmlNode): string | undefined {
  const colon = node.name.indexOf(':');
  return node.attributes?.[colon === -1 ? 'xmlns' : 'xmlns:' + node.name.slice(0, colon)];
}

/** The Microsoft line URI (`extensions/privateData/private/lcs:line`, docs/msrcc.md), if present. */
export function getLcsLine(message: CstaMessage): string | undefined {
  const nodes = message.extensions?.privateData;
  if (nodes === undefined) return undefined;
  for (const node of nodes) {
    const colon = node.name.indexOf(':');
    const local = colon === -1 ? node.name : node.name.slice(colon + 1);
    if (local === 'line' && xmlNodeNamespace(node) === LCS_NAMESPACE) return node.text ?? '';
  }
  return undefined;
}

/** The private-data node carrying a Microsoft line URI, as Communicator writes it. */
export function lcsLine(lineUri: string): XmlNode {
  return { name: 'lcs:line', attributes: { 'xmlns:lcs': LCS_NAMESPACE }, text: lineUri };
}

/** Convenience constructor for the one-child negative acknowledgement. */
export function cstaError(errorClass: CstaMessageOfError['errorClass'], value: string): CstaMessageOfError {
  return { type: 'CSTAErrorCode', errorClass, value };
}
type CstaMessageOfError = Extract<CstaMessage, { type: 'CSTAErrorCode' }>;
