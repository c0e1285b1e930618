// A structural validator for CSTA XML bodies against the ECMA-323 ed3 (and ECMA-354) structure
// of ed3-structure.ts, over the tree of our own XML parser (gateway/src/csta/xml.ts).
//
// Why hand-written: the official XSDs are not available here, so there is nothing for a
// schema-validating library (libxml2's xmllint, xsd-schema-validator) to load; what we know of the
// schema is the structure table, and checking a tree against it takes a page. It checks element
// names and namespaces, the order and occurrence of every sequence, choices, enumerations and the
// simple types Deskline uses, and that private data (our `dl:`, Microsoft's `lcs:`) appears only
// where the schema has an xs:any (extensions/privateData/private, and ECMA-354's
// applicationSpecificInfo).
import { DEFAULT_XML_LIMITS, decodeXmlInput, parseXml, type XmlElement } from '../../../src/csta/xml.js';
import {
  BUILTINS,
  ECMA354_MESSAGES,
  ECMA354_NAMESPACE,
  ED3_MESSAGES,
  ED3_NAMESPACE,
  ENUMS,
  TYPES,
  type Builtin,
  type Choice,
  type ContentModel,
  type Occurrence,
  type Particle,
} from './ed3-structure.js';

export interface SchemaIssue {
  /** Element path from the root, e.g. `DeliveredEvent/connection/callID`. */
  readonly path: string;
  readonly message: string;
}

export interface Validated {
  /** Root element name ('' when the document did not parse). */
  readonly root: string;
  readonly issues: readonly SchemaIssue[];
}

const LIMITS = { ...DEFAULT_XML_LIMITS, maxBytes: 1 << 20, maxDepth: 64, maxElements: 100_000 };
const BUILTIN_SET: ReadonlySet<string> = new Set(BUILTINS);

interface ElementParticle {
  readonly name: string;
  readonly occurrence: Occurrence;
  readonly type: string;
}

const parsedParticles = new Map<string, ElementParticle>();

function element(particle: string): ElementParticle {
  let parsed = parsedParticles.get(particle);
  if (parsed === undefined) {
    const match = /^([A-Za-z][\w.-]*)([?*+]?):(\w+)$/.exec(particle);
    if (match === null) throw new Error(`ed3-structure: malformed particle "${particle}"`);
    parsed = { name: match[1]!, occurrence: match[2] as Occurrence, type: match[3]! };
    parsedParticles.set(particle, parsed);
  }
  return parsed;
}

/** Validates one CSTA XML document (an ECMA-323 message in the ed3 namespace, or an ECMA-354 one). */
export function validateCsta(xml: string | Uint8Array): Validated {
  const text = decodeXmlInput(xml, LIMITS);
  if (!text.ok) return { root: '', issues: [{ path: '', message: text.error.message }] };
  const parsed = parseXml(text.value, LIMITS);
  if (!parsed.ok) return { root: '', issues: [{ path: '', message: parsed.error.message }] };
  const root = parsed.value;
  const issues: SchemaIssue[] = [];
  const ed3 = ED3_MESSAGES[root.local];
  const ecma354 = ECMA354_MESSAGES[root.local];
  const model = ed3 ?? ecma354;
  if (model === undefined) {
    issues.push({ path: root.local, message: `<${root.local}> is no message of ECMA-323 ed3 or ECMA-354` });
  } else {
    const namespace = ed3 !== undefined ? ED3_NAMESPACE : ECMA354_NAMESPACE;
    new Checker(namespace, issues).complex(root, model, root.local);
  }
  return { root: root.local, issues };
}

/** The issues as one readable string (for test failure messages). */
export function describeIssues(issues: readonly SchemaIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('\n');
}

class Checker {
  constructor(
    private readonly namespace: string,
    private readonly issues: SchemaIssue[],
  ) {}

  private issue(path: string, message: string): void {
    this.issues.push({ path, message });
  }

  /** Checks an element of a named type (or a built-in) at `path`. */
  private typed(el: XmlElement, type: string, path: string): void {
    if (el.ns !== this.namespace) {
      this.issue(path, `element in namespace "${el.ns}", expected "${this.namespace}"`);
      return;
    }
    if (type !== 'foreign') this.noAttributes(el, path);
    if (BUILTIN_SET.has(type)) return this.builtin(el, type as Builtin, path);
    const values = ENUMS[type];
    if (values !== undefined) {
      if (this.leaf(el, path)) {
        if (!values.includes(el.text))
          this.issue(path, `"${el.text}" is not a value of ${type} (${values.length} values)`);
      }
      return;
    }
    const model = TYPES[type];
    if (model === undefined) throw new Error(`ed3-structure: unknown type ${type}`);
    this.complex(el, model, path);
  }

  private noAttributes(el: XmlElement, path: string): void {
    const attrs = el.attrs ?? [];
    for (let k = 0; k < attrs.length; k += 2) {
      const name = attrs[k]!;
      if (name === 'xmlns' || name.startsWith('xmlns:')) continue;
      this.issue(path, `attribute ${name} is not sent by Deskline and not described`);
    }
  }

  /** A simple-content element: no child elements. */
  private leaf(el: XmlElement, path: string): boolean {
    if (el.children !== undefined) {
      this.issue(path, `expected character data, found <${el.children[0]!.name}>`);
      return false;
    }
    return true;
  }

  private builtin(el: XmlElement, type: Builtin, path: string): void {
    switch (type) {
      case 'text':
        this.leaf(el, path);
        return;
      case 'boolean':
        if (this.leaf(el, path) && !/^(true|false|1|0)$/.test(el.text.trim()))
          this.issue(path, `"${el.text}" is not an xs:boolean`);
        return;
      case 'int':
        if (this.leaf(el, path) && !/^[+-]?[0-9]+$/.test(el.text.trim()))
          this.issue(path, `"${el.text}" is not an integer`);
        return;
      case 'hexBinary':
        if (this.leaf(el, path) && !/^([0-9A-Fa-f]{2})*$/.test(el.text.trim()))
          this.issue(path, `"${el.text}" is not xs:hexBinary`);
        return;
      case 'empty':
        if (el.children !== undefined || el.text !== '')
          this.issue(path, `must be empty, has ${el.children !== undefined ? 'elements' : `"${el.text}"`}`);
        return;
      case 'caps':
        this.elementOnly(el, path);
        for (const cap of el.children ?? []) {
          const capPath = `${path}/${cap.local}`;
          if (cap.ns !== this.namespace) this.issue(capPath, `element in namespace "${cap.ns}"`);
          this.noAttributes(cap, capPath);
          if (this.leaf(cap, capPath) && !/^(true|false|1|0)$/.test(cap.text.trim()))
            this.issue(capPath, `"${cap.text}" is not an xs:boolean`);
        }
        return;
      case 'foreign':
        this.elementOnly(el, path);
        for (const child of el.children ?? []) {
          if (child.ns === this.namespace || child.ns === ED3_NAMESPACE || child.ns === ECMA354_NAMESPACE)
            this.issue(`${path}/${child.name}`, 'private data must be in a namespace of its own');
        }
        return;
      case 'undescribed':
        this.issue(
          path,
          'allowed here by the schema, but its structure is not described in ed3-structure.ts (describe it before sending it)',
        );
        return;
      default: {
        const never: never = type;
        throw new Error(`unknown built-in ${String(never)}`);
      }
    }
  }

  private elementOnly(el: XmlElement, path: string): void {
    if (el.text !== '' && el.text.trim() !== '') this.issue(path, `unexpected character data "${el.text}"`);
  }

  /** An element with element content: its children against the content model. */
  complex(el: XmlElement, model: ContentModel, path: string): void {
    if (el.ns !== this.namespace)
      this.issue(path, `element in namespace "${el.ns}", expected "${this.namespace}"`);
    this.noAttributes(el, path);
    this.elementOnly(el, path);
    const children = el.children ?? [];
    const end = this.sequence(model, children, 0, path);
    const child = children[end];
    if (child === undefined) return;
    // Matching stops at the first child that does not fit: report it (what follows is unchecked).
    const known = allNames(model).has(child.local);
    const rest = children.length - end - 1;
    this.issue(
      `${path}/${child.local}`,
      `${known ? 'out of order or repeated' : 'not allowed here'} (the sequence is ${sequenceText(model)})` +
        (rest > 0 ? `; ${rest} element(s) after it not checked` : ''),
    );
  }

  /** Matches `particles` from children[start]; returns the index after the last child matched. */
  private sequence(
    particles: readonly Particle[],
    children: readonly XmlElement[],
    start: number,
    path: string,
  ): number {
    let i = start;
    for (const particle of particles) {
      if (typeof particle === 'string') {
        const { name, occurrence, type } = element(particle);
        let count = 0;
        while (i < children.length && children[i]!.local === name && (count === 0 || repeats(occurrence))) {
          this.typed(children[i]!, type, `${path}/${name}`);
          i++;
          count++;
        }
        if (count === 0 && required(occurrence)) {
          const next = children[i];
          this.issue(
            `${path}/${name}`,
            `missing${next === undefined ? '' : ` (found <${next.local}> there)`}`,
          );
        }
      } else {
        i = this.choice(particle, children, i, path);
      }
    }
    return i;
  }

  private choice(particle: Choice, children: readonly XmlElement[], start: number, path: string): number {
    let i = start;
    let count = 0;
    for (;;) {
      const next = children[i];
      const alternative =
        next === undefined ? undefined : particle.alternatives.find((alt) => firstNames(alt).has(next.local));
      if (alternative === undefined) break;
      i = this.sequence(alternative, children, i, path);
      count++;
      if (!repeats(particle.occurrence)) break;
    }
    if (count === 0 && required(particle.occurrence)) {
      const names = particle.alternatives.map((alt) => [...firstNames(alt)].join('|')).join(' | ');
      const next = children[i];
      this.issue(path, `expected one of ${names}${next === undefined ? '' : `, found <${next.local}>`}`);
    }
    return i;
  }
}

function repeats(occurrence: Occurrence): boolean {
  return occurrence === '*' || occurrence === '+';
}

function required(occurrence: Occurrence): boolean {
  return occurrence === '' || occurrence === '+';
}

/** Names that can start a sequence (through leading optional particles too). */
function firstNames(particles: readonly Particle[]): Set<string> {
  const names = new Set<string>();
  for (const particle of particles) {
    if (typeof particle === 'string') {
      const { name, occurrence } = element(particle);
      names.add(name);
      if (required(occurrence)) return names;
    } else {
      for (const alt of particle.alternatives) for (const n of firstNames(alt)) names.add(n);
      if (required(particle.occurrence)) return names;
    }
  }
  return names;
}

function allNames(particles: readonly Particle[]): Set<string> {
  const names = new Set<string>();
  for (const particle of particles) {
    if (typeof particle === 'string') names.add(element(particle).name);
    else for (const alt of particle.alternatives) for (const n of allNames(alt)) names.add(n);
  }
  return names;
}

function sequenceText(particles: readonly Particle[]): string {
  return particles
    .map((p) =>
      typeof p === 'string'
        ? element(p).name + element(p).occurrence
        : `(${p.alternatives.map((alt) => sequenceText(alt)).join(' | ')})${p.occurrence}`,
    )
    .join(', ');
}
