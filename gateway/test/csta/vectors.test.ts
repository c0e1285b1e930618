// Golden vectors: gateway/test/vectors/csta/<Type>.{xml,json} for every message type, plus
// hand-written variants (other editions, prefixes, pretty printing, odd but legal XML).
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DESCRIPTORS,
  decodeCsta,
  encodeCsta,
  type CstaEdition,
  type CstaMessage,
} from '../../src/csta/index.js';

const VECTORS = new URL('../vectors/csta/', import.meta.url);
const VARIANTS = new URL('../vectors/csta/variants/', import.meta.url);

const vectorFiles = readdirSync(VECTORS).filter((f) => f.endsWith('.xml'));
const vectorTypes = vectorFiles.map((f) => f.slice(0, -'.xml'.length));

function readJson<T>(url: URL): T {
  return JSON.parse(readFileSync(url, 'utf8')) as T;
}

describe('CSTA golden vectors', () => {
  it('has a vector for every descriptor, and a descriptor for every vector', () => {
    const descriptorTypes = DESCRIPTORS.map((d) => d.type).sort();
    expect([...vectorTypes].sort()).toEqual(descriptorTypes);
    for (const f of readdirSync(VECTORS).filter((n) => n.endsWith('.json'))) {
      expect(vectorTypes).toContain(f.slice(0, -'.json'.length));
    }
  });

  it.each(vectorTypes)('%s decodes to its .json', (type) => {
    const bytes = readFileSync(new URL(`${type}.xml`, VECTORS));
    const expected = readJson<CstaMessage>(new URL(`${type}.json`, VECTORS));
    const result = decodeCsta(bytes);
    if (!result.ok) throw result.error;
    expect(result.value.message).toEqual(expected);
    expect(result.value.message.type).toBe(type);
    const standard = DESCRIPTORS.find((d) => d.type === type)?.standard;
    expect(result.value.edition).toBe(standard === 'ecma354' ? 'ecma354' : 'ed3');
  });

  it.each(vectorTypes)('%s .json encodes to exactly its .xml', (type) => {
    const xml = readFileSync(new URL(`${type}.xml`, VECTORS), 'utf8');
    const message = readJson<CstaMessage>(new URL(`${type}.json`, VECTORS));
    expect(encodeCsta(message)).toBe(xml);
  });
});

interface Variant {
  edition: CstaEdition;
  namespace: string;
  message: CstaMessage;
}

const variantNames = readdirSync(VARIANTS)
  .filter((f) => f.endsWith('.xml'))
  .map((f) => f.slice(0, -'.xml'.length));

describe('CSTA variant vectors (decode only)', () => {
  it('has variants', () => expect(variantNames.length).toBeGreaterThan(5));

  it.each(variantNames)('%s', (name) => {
    const bytes = readFileSync(new URL(`${name}.xml`, VARIANTS));
    const expected = readJson<Variant>(new URL(`${name}.json`, VARIANTS));
    const result = decodeCsta(bytes);
    if (!result.ok) throw result.error;
    expect(result.value).toEqual(expected);
    // Whatever came in, what we write back decodes to the same message.
    const again = decodeCsta(encodeCsta(result.value.message));
    if (!again.ok) throw again.error;
    expect(again.value.message).toEqual(expected.message);
  });
});
