// fast-check generators derived from the descriptors (the same table the codec runs on), so a new
// descriptor is property-tested without writing a generator.
import fc from 'fast-check';
import { DESCRIPTORS, DEVICE_ABSENT, type CstaMessage, type XmlNode } from '../../src/csta/index.js';
import type { FieldKind, MessageDescriptor, StructKind } from '../../src/csta/dsl.js';

/** Characters XML can carry, weighted towards the ones escaping must get right. */
const xmlChar = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('a', 'Z', '0', ':', ';', '/', '+', '-', '_', '.', '=', ' ', '@') },
  { weight: 3, arbitrary: fc.constantFrom('&', '<', '>', '"', "'", '\r', '\n', '\t', ']', '#') },
  { weight: 1, arbitrary: fc.integer({ min: 0xa0, max: 0xd7ff }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)) },
);

export const xmlText = fc.string({ unit: xmlChar, maxLength: 24 });
/** Enumeration values are whitespace-collapsed on input: no leading/trailing blanks, not empty. */
const token = fc
  .string({ unit: xmlChar, minLength: 1, maxLength: 16 })
  .filter((s) => s.trim() === s && s !== '');
/** Names that no descriptor uses (`zz…`), for unknown elements. */
const unknownName = fc.stringMatching(/^zz[a-z][A-Za-z0-9]{0,6}$/);
const attrName = fc.stringMatching(/^[a-y][A-Za-z0-9]{0,6}$/);
const prefix = fc.stringMatching(/^p[a-z]{0,3}$/);
const nsUri = fc.constantFrom(
  'urn:example:a',
  'urn:example:b',
  'http://schemas.microsoft.com/Lcs/2005/04/RCCExtension',
  'urn:deskline:cti:1',
);

/** A self-contained generic node: a prefixed node declares its own prefix. */
const xmlNode: fc.Arbitrary<XmlNode> = fc.letrec<{ node: XmlNode }>((tie) => ({
  node: fc
    .record(
      {
        prefixed: fc.option(fc.tuple(prefix, nsUri), { nil: undefined }),
        local: unknownName,
        attributes: fc.option(fc.dictionary(attrName, xmlText, { maxKeys: 2 }), { nil: undefined }),
        content: fc.oneof(
          { depthSize: 'small', maxDepth: 2 },
          fc.constant(undefined),
          xmlText.filter((t) => t !== '').map((text) => ({ text })),
          fc.array(tie('node'), { minLength: 1, maxLength: 2 }).map((children) => ({ children })),
        ),
      },
      { requiredKeys: ['local', 'content'] },
    )
    .map(({ prefixed, local, attributes, content }) => {
      const node: XmlNode = { name: prefixed === undefined ? local : `${prefixed[0]}:${local}` };
      const attrs: Record<string, string> = {
        ...(prefixed === undefined ? {} : { [`xmlns:${prefixed[0]}`]: prefixed[1] }),
        ...attributes,
      };
      if (Object.keys(attrs).length > 0) node.attributes = attrs;
      if (content !== undefined) Object.assign(node, content);
      return node;
    }),
})).node;

const unknownNodes = fc.option(fc.array(xmlNode, { minLength: 1, maxLength: 2 }), { nil: undefined });

function kindArbitrary(kind: FieldKind): fc.Arbitrary<unknown> {
  switch (kind.k) {
    case 'text':
      return xmlText;
    case 'int':
      return fc.integer({ min: kind.min, max: kind.max });
    case 'bool':
      return fc.boolean();
    case 'flag':
      return fc.constant(true);
    case 'enum':
      return kind.open ? fc.oneof(fc.constantFrom(...kind.values), token) : fc.constantFrom(...kind.values);
    case 'device':
      return fc.oneof(
        xmlText.map((id) => ({ id })),
        fc.constantFrom(...DEVICE_ABSENT).map((absent) => ({ absent })),
      );
    case 'list':
      return fc.array(kindArbitrary(kind.of), { maxLength: 3 });
    case 'features':
      return fc.dictionary(
        fc.stringMatching(/^[a-z][A-Za-z]{0,10}List$/),
        fc.array(fc.stringMatching(/^[a-z][A-Za-z0-9]{0,10}$/), { maxLength: 4 }),
        { maxKeys: 3 },
      );
    case 'extensions':
      return fc.record(
        {
          privateData: fc.array(xmlNode, { maxLength: 2 }),
          unknown: fc.array(xmlNode, { minLength: 1, maxLength: 2 }),
        },
        { requiredKeys: [] },
      );
    case 'struct':
      return structArbitrary(kind);
    case 'tag':
      return fc.constantFrom(...kind.values);
    case 'tagText':
      return xmlText;
    default: {
      const never: never = kind;
      throw new Error(`no arbitrary for ${JSON.stringify(never)}`);
    }
  }
}

function structArbitrary(kind: StructKind): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  const required: string[] = [];
  for (const entry of kind.entries) {
    model[entry.key] = kindArbitrary(entry.field.kind);
    if (!entry.field.optional) required.push(entry.key);
  }
  return fc
    .tuple(fc.record(model, { requiredKeys: required }), unknownNodes)
    .map(([value, unknown]) => (unknown === undefined ? value : { ...value, unknown }));
}

export function messageArbitraryOf(descriptor: MessageDescriptor): fc.Arbitrary<CstaMessage> {
  // The generator follows the descriptor, and CstaMessage is inferred from the same descriptor.
  return structArbitrary(descriptor.body).map((body) => ({ type: descriptor.type, ...body }) as CstaMessage);
}

export const cstaMessage: fc.Arbitrary<CstaMessage> = fc.oneof(
  ...DESCRIPTORS.map((d) => messageArbitraryOf(d)),
);
