// decodeCsta reads a document straight into the typed message (codec.ts, "decode without a tree")
// and falls back to the element tree for anything it does not finish. Both must give the same
// answer on every input: the same message (the same keys in the same order), namespace and
// edition, or the same error (code, message, detail). Held here against the reference tree
// decoder (decodeCstaTree) on every vector, on generated messages, and on mutations of both —
// byte-level ones (mostly well-formedness errors) and element-level ones (foreign, duplicate and
// text content at element boundaries: the decoder's own refusals and leniencies).
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CSTA_EDITIONS, encodeCsta, type CstaMessage } from '../../src/csta/index.js';
import { decodeCsta, decodeCstaTree } from '../../src/csta/codec.js';
import type { XmlLimits } from '../../src/csta/xml.js';
import { mutate, mutationArbitrary } from '../fuzz/mutate.js';
import { cstaMessage } from './arbitraries.js';

const RUNS = Number(process.env.CSTA_PROPERTY_RUNS ?? 300);

function same(input: Buffer | string, limits?: Partial<XmlLimits>): void {
  const direct = decodeCsta(input, limits);
  const tree = decodeCstaTree(input, limits);
  if (direct.ok && tree.ok) {
    expect(JSON.stringify(direct.value)).toBe(JSON.stringify(tree.value));
    expect(direct.value).toEqual(tree.value);
    return;
  }
  if (!direct.ok && !tree.ok) {
    expect({ code: direct.error.code, message: direct.error.message, detail: direct.error.detail }).toEqual({
      code: tree.error.code,
      message: tree.error.message,
      detail: tree.error.detail,
    });
    return;
  }
  expect.fail(
    `direct ${direct.ok ? 'decoded' : `refused (${direct.error.message})`}, tree ${tree.ok ? 'decoded' : `refused (${tree.error.message})`}: ${String(input).slice(0, 300)}`,
  );
}

function xmlFiles(dir: URL): Buffer[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.xml'))
    .map((f) => readFileSync(new URL(f, dir)));
}

const VECTORS = new URL('../vectors/', import.meta.url);
const vectors = xmlFiles(new URL('csta/', VECTORS));
const hostile = xmlFiles(new URL('csta-hostile/', VECTORS));
const msRcc = xmlFiles(new URL('ms-rcc/', VECTORS));
const simulatorEvents = xmlFiles(new URL('../../../simulator/test/vectors/events/', import.meta.url));
const seeds = [...vectors, ...msRcc, ...simulatorEvents];

/** Element-level snippets: foreign elements, CSTA element names where they may not belong, text,
 *  markup the parser skips, and device forms. */
const SNIPPETS = [
  '<x/>',
  '<lcs:line xmlns:lcs="http://schemas.microsoft.com/Lcs/2005/04/RCCExtension">tel:1</lcs:line>',
  'text',
  '   ',
  '\r\n',
  '<!--c-->',
  '<?pi x?>',
  '<![CDATA[c]]>',
  '&amp;',
  '<callID>1</callID>',
  '<deviceID>2</deviceID>',
  '<deviceIdentifier>3</deviceIdentifier>',
  '<notKnown/>',
  '<notRequired></notRequired>',
  '<callingDevice>4</callingDevice>',
  '<callingDevice> 4 </callingDevice>',
  '<alertingDevice>\n8\n</alertingDevice>',
  '<calledDevice><deviceIdentifier> 9 </deviceIdentifier></calledDevice>',
  '<callID> 1 </callID>',
  '<cause> newCall </cause>',
  '<localConnectionInfo>\talerting</localConnectionInfo>',
  '<callingDevice><deviceIdentifier>5</deviceIdentifier></callingDevice>',
  '<connection><callID>6</callID></connection>',
  '<cause>newCall</cause>',
  '<localConnectionInfo>alerting</localConnectionInfo>',
  '<monitorCrossRefID>7</monitorCrossRefID>',
  '<extensions><privateData><private><x:y xmlns:x="urn:y"/></private></privateData></extensions>',
  '<extensions/>',
  '<operation>generic</operation>',
  '<systemStatus>normal</systemStatus>',
  '<doNotDisturbOn>true</doNotDisturbOn>',
  '<snapshotData/>',
  '<a:b xmlns:a="urn:a"><c/></a:b>',
];

/** Inserts snippets right after a ">" (an element boundary, mostly), or duplicates a range there. */
const elementMutation = fc.record({
  at: fc.nat(),
  snippet: fc.oneof(fc.constantFrom(...SNIPPETS), fc.string({ maxLength: 4 })),
  duplicate: fc.nat({ max: 80 }),
});

function mutateElements(
  seed: Buffer,
  mutations: readonly { at: number; snippet: string; duplicate: number }[],
): string {
  let text = seed.toString('utf8');
  for (const m of mutations) {
    const boundaries: number[] = [];
    for (let i = text.indexOf('>'); i >= 0; i = text.indexOf('>', i + 1)) boundaries.push(i + 1);
    const at = boundaries.length === 0 ? 0 : (boundaries[m.at % boundaries.length] as number);
    text =
      m.duplicate > 60
        ? text.slice(0, at) + text.slice(at, at + m.duplicate) + text.slice(at)
        : text.slice(0, at) + m.snippet + text.slice(at);
  }
  return text;
}

/** Each variant changes one spot of a document: a leaf's text padded with white space, a device
 *  reference written as bare text (padded or not) or with its identifier padded, white space, a
 *  comment or CDATA between two elements, an element's content emptied, an element doubled. */
function variants(seed: Buffer): string[] {
  const text = seed.toString('utf8');
  const out: string[] = [];
  const each = (re: RegExp, replace: (m: RegExpExecArray) => string): void => {
    for (let m = re.exec(text); m !== null; m = re.exec(text))
      out.push(text.slice(0, m.index) + replace(m) + text.slice(m.index + m[0].length));
  };
  each(/<([\w:]+)>([^<]+)<\/\1>/g, (m) => `<${m[1]}> ${m[2]}\n</${m[1]}>`);
  each(/<([\w:]+)>([^<]+)<\/\1>/g, (m) => `<${m[1]}/>`);
  each(/<([\w:]+)>([^<]+)<\/\1>/g, (m) => `${m[0]}${m[0]}`);
  each(
    /<([\w:]+)><(?:deviceIdentifier|numberDialed)>([^<]*)<\/\w+><\/\1>/g,
    (m) => `<${m[1]}>${m[2]}</${m[1]}>`,
  );
  each(
    /<([\w:]+)><(?:deviceIdentifier|numberDialed)>([^<]*)<\/\w+><\/\1>/g,
    (m) => `<${m[1]}> ${m[2]} </${m[1]}>`,
  );
  each(/<(deviceIdentifier|numberDialed)>([^<]*)</g, (m) => `<${m[1]}>\t${m[2]} <`);
  each(/></g, () => '> \r\n<');
  each(/></g, () => '><!-- x --><');
  each(/></g, () => '><![CDATA[ ]]><');
  each(/></g, () => '>x<');
  each(/<([\w:]+)>(<[^]*?)<\/\1>/g, (m) => `<${m[1]}></${m[1]}>`);
  return out;
}

describe('the direct decoder and the tree decoder answer alike', () => {
  it('on one-spot variants of every vector', () => {
    for (const seed of seeds) for (const variant of variants(seed)) same(variant);
  });

  it('on every vector (CSTA, MS-RCC bodies, simulator events, hostile documents)', () => {
    for (const input of [...seeds, ...hostile]) {
      same(input);
      same(input.toString('utf8'));
      same(input, { maxElements: 6, maxDepth: 4, maxAttributes: 1 });
    }
  });

  it('on generated messages of every type, in every edition', () => {
    fc.assert(
      fc.property(cstaMessage, fc.constantFrom(...CSTA_EDITIONS), (message: CstaMessage, edition) => {
        same(encodeCsta(message, { edition }));
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('on element-level mutations of vectors and generated messages', () => {
    const seed = fc.oneof(
      fc.constantFrom(...seeds),
      cstaMessage.map((m) => Buffer.from(encodeCsta(m), 'utf8')),
    );
    fc.assert(
      fc.property(seed, fc.array(elementMutation, { minLength: 1, maxLength: 4 }), (input, mutations) => {
        same(mutateElements(input, mutations));
      }),
      { numRuns: RUNS * 10 },
    );
  });

  it('on byte-level mutations of the vectors', () => {
    const dictionary = SNIPPETS.map((s) => Buffer.from(s, 'utf8'));
    fc.assert(
      fc.property(
        fc.nat({ max: seeds.length - 1 }),
        fc.array(mutationArbitrary(dictionary.length), { minLength: 1, maxLength: 6 }),
        (index, mutations) => {
          same(mutate(seeds[index] as Buffer, mutations, seeds, dictionary));
        },
      ),
      { numRuns: RUNS * 10 },
    );
  });
});
