// A strict, small, non-validating XML 1.0 + Namespaces parser for CSTA bodies, and the
// escaping helpers the encoder uses.
//
// Why our own parser and not fast-xml-parser (see docs/csta-codec.md "Decisions"): measured on
// this machine fast-xml-parser 5 parses a DeliveredEvent at ~10-14k/s before any decoding (the
// target is 40k full decodes/s), and it is lenient where we must be strict: it accepts unclosed
// and mismatched tags, text outside the root and several roots, and leaves numeric character
// references undecoded; its validator adds a second pass. A purpose-built parser that knows no
// DTD at all is both faster and safer: it *cannot* expand an entity.
//
// What it accepts (XML 1.0 §2 and Namespaces in XML 1.0, minus everything DTD):
//  - an optional XML declaration at offset 0; an encoding other than UTF-8 is refused (we only
//    ever receive UTF-8: IANA application/csta+xml, docs/cti-link.md §1);
//  - elements, attributes, character data, CDATA sections, comments, processing instructions
//    (ignored, except a misplaced `<?xml`), the five predefined entities and character references;
//  - namespace prefixes must be declared (Namespaces in XML §5 "Namespace constraint: Prefix Declared").
// What it refuses: any `<!DOCTYPE` / `<!ENTITY` (XmlForbiddenConstruct, before anything else),
// any other entity reference (XmlForbiddenConstruct), characters outside the XML Char production,
// nesting past `maxDepth` (XmlTooDeep, checked while parsing: the parser never recurses), and
// every well-formedness error (XmlMalformed with line, column and offset).
import { DesklineError, ErrorCode } from '../util/errors.js';
import { err, ok, type Result } from '../util/result.js';

export interface XmlLimits {
  /** Largest accepted document, in UTF-8 bytes. */
  maxBytes: number;
  /** Deepest accepted element nesting (the root is depth 1). */
  maxDepth: number;
  /** Most attributes (namespace declarations included) on one element. */
  maxAttributes: number;
  /** Most elements in one document. */
  maxElements: number;
}

/**
 * Far above any legitimate CSTA document (docs/csta-codec.md "Limits"): ECMA-323 elements carry
 * at most a few namespace declarations, and the largest document either side sends — a full
 * directory segment on the CTI link — holds about 2,500 elements in 64 KiB. What the caps stop is
 * hostile input that costs more to parse than its size suggests (docs/robustness.md §6).
 */
export const DEFAULT_XML_LIMITS: Readonly<XmlLimits> = Object.freeze({
  maxBytes: 65_536,
  maxDepth: 24,
  maxAttributes: 64,
  maxElements: 8_192,
});

/** Past this many attributes on one element, duplicates are found with a set (a pairwise scan is
 *  quadratic: 8,000 attributes cost 142 ms that way). Below it, the scan is cheaper. */
const ATTRIBUTE_SET_THRESHOLD = 8;

/**
 * A generic XML element kept as-is: unknown children and private data travel through the codec
 * in this form. `name` is the qualified name as written (`lcs:line`); the namespace declarations
 * the node needs are in `attributes` (`xmlns:lcs`), so a node is self-contained wherever it is
 * re-encoded. Mixed content is not kept in order: `text` is the node's character data
 * (whitespace-only text next to child elements is dropped).
 */
export interface XmlNode {
  name: string;
  attributes?: Record<string, string>;
  children?: XmlNode[];
  text?: string;
}

/** Namespace scope: own properties are this element's declarations, the prototype is the parent's
 *  scope (lookups walk the chain natively). Key '' is the default namespace. */
export type NsScope = Readonly<Record<string, string>>;

/** The parser's element. `attrs` is a flat [name, value, name, value, ...] list. */
export interface XmlElement {
  readonly name: string;
  readonly prefix: string;
  readonly local: string;
  /** Namespace URI of the element ('' when none). */
  readonly ns: string;
  readonly attrs: string[] | undefined;
  children: XmlElement[] | undefined;
  text: string;
  readonly scope: NsScope;
  /** Offset of the `<` in the decoded text, for error messages. */
  readonly offset: number;
}

export const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';
const ROOT_SCOPE: NsScope = Object.freeze(
  Object.assign(Object.create(null) as Record<string, string>, { xml: XML_NAMESPACE }),
);

const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Checks size and encoding and returns the document as a string (UTF-8 BOM removed). */
export function decodeXmlInput(input: Uint8Array | string, limits: XmlLimits): Result<string> {
  if (typeof input === 'string') {
    // A UTF-16 string cannot be more bytes than 3 per code unit, nor fewer than 1.
    if (input.length > limits.maxBytes) return err(tooLarge(input.length, limits));
    if (input.length * 3 > limits.maxBytes) {
      const bytes = Buffer.byteLength(input, 'utf8');
      if (bytes > limits.maxBytes) return err(tooLarge(bytes, limits));
    }
    // Lone surrogates have no UTF-8 form (RFC 3629 §3).
    if (LONE_SURROGATE_RE.test(input))
      return err(
        new DesklineError(
          ErrorCode.XmlEncoding,
          'XML text contains an unpaired UTF-16 surrogate: not encodable as UTF-8',
        ),
      );
    return ok(input.charCodeAt(0) === 0xfeff ? input.slice(1) : input);
  }
  if (input.length > limits.maxBytes) return err(tooLarge(input.length, limits));
  if (
    input.length >= 2 &&
    ((input[0] === 0xfe && input[1] === 0xff) || (input[0] === 0xff && input[1] === 0xfe))
  ) {
    return err(
      new DesklineError(
        ErrorCode.XmlEncoding,
        'XML starts with a UTF-16 byte order mark: only UTF-8 is accepted',
      ),
    );
  }
  let start = 0;
  if (input.length >= 3 && input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf) start = 3;
  try {
    return ok(utf8Decoder.decode(start === 0 ? input : input.subarray(start)));
  } catch (cause) {
    // Name the real culprit when the document declares another encoding.
    const head = Buffer.from(input.subarray(start, start + 128)).toString('latin1');
    const declared = /^<\?xml[^>]*\sencoding\s*=\s*["']([^"']*)["']/.exec(head)?.[1];
    if (declared !== undefined && declared.toLowerCase() !== 'utf-8') {
      return err(
        new DesklineError(
          ErrorCode.XmlEncoding,
          `XML declares encoding "${declared}": only UTF-8 is accepted`,
          { cause, detail: { encoding: declared } },
        ),
      );
    }
    return err(new DesklineError(ErrorCode.XmlEncoding, 'XML is not valid UTF-8', { cause }));
  }
}

function tooLarge(size: number, limits: XmlLimits): DesklineError {
  return new DesklineError(
    ErrorCode.XmlTooLarge,
    `XML document is ${size} bytes, over the ${limits.maxBytes}-byte limit`,
    {
      detail: { size, maxBytes: limits.maxBytes },
    },
  );
}

// Forbidden DTD constructs are looked for first, whatever else is wrong with the document, so a
// hostile document is always reported as what it is (XML 1.0 §2.8, §4.2: we implement no DTD).
const FORBIDDEN_RE = /<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i;

/** Parses a whole document and returns its root element. Never throws. */
export function parseXml(text: string, limits: XmlLimits): Result<XmlElement> {
  const tree = new XmlTreeBuilder();
  let error: DesklineError | undefined;
  try {
    error = parseXmlInto(text, limits, tree);
  } catch (e) {
    // Only a bug gets here (the parser throws nothing else); keep the boundary promise anyway.
    return err(
      new DesklineError(
        ErrorCode.XmlMalformed,
        `XML parser failure: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      ),
    );
  }
  return error === undefined ? ok(tree.root as XmlElement) : err(error);
}

/**
 * What the parser reports, in document order, once each construct has passed every check: a start
 * tag (attributes and namespaces resolved; a self-closing tag is reported as a start and an end),
 * character data of the innermost open element (references decoded, line ends normalised; one
 * element's text may come in several pieces), an end tag. The tree builder below implements it;
 * so does the CSTA codec's direct decoder (codec.ts), which fills the typed message without a
 * tree. A sink may throw to abandon the document: the parser does not catch that.
 */
export interface XmlSink {
  startElement(
    name: string,
    prefix: string,
    local: string,
    ns: string,
    attrs: string[] | undefined,
    scope: NsScope,
    offset: number,
  ): void;
  characters(text: string): void;
  endElement(): void;
}

/**
 * Parses a whole document into `sink`; returns the first well-formedness, namespace, limit or
 * forbidden-construct error (the sink has then seen the document up to it), or undefined.
 * Throws only what the sink throws.
 */
export function parseXmlInto(text: string, limits: XmlLimits, sink: XmlSink): DesklineError | undefined {
  if (text.indexOf('<!') !== -1) {
    const m = FORBIDDEN_RE.exec(text);
    if (m !== null) {
      return new DesklineError(
        ErrorCode.XmlForbiddenConstruct,
        `XML contains a forbidden <!${(m[1] ?? '').toUpperCase()} declaration: DTDs and entity declarations are never processed`,
        {
          detail: { offset: m.index },
        },
      );
    }
  }
  return new Parser(text, limits, sink).parse();
}

/** The sink of parseXml: the element tree (also used for the subtrees the CSTA codec keeps whole). */
export class XmlTreeBuilder implements XmlSink {
  root: XmlElement | undefined;
  private readonly stack: XmlElement[] = [];

  startElement(
    name: string,
    prefix: string,
    local: string,
    ns: string,
    attrs: string[] | undefined,
    scope: NsScope,
    offset: number,
  ): void {
    const el: XmlElement = {
      name,
      prefix,
      local,
      ns,
      attrs,
      children: undefined,
      text: '',
      scope,
      offset,
    };
    const parent = this.stack.length === 0 ? undefined : this.stack[this.stack.length - 1];
    if (parent === undefined) this.root = el;
    else if (parent.children === undefined) parent.children = [el];
    else parent.children.push(el);
    this.stack.push(el);
  }

  characters(text: string): void {
    (this.stack[this.stack.length - 1] as XmlElement).text += text;
  }

  endElement(): void {
    const top = this.stack.pop() as XmlElement;
    if (top.children !== undefined && top.text !== '' && isWhitespaceOnly(top.text)) top.text = '';
  }
}

/** Thrown inside the parser only; parse() converts it to a Result. */
class ParseFailure {
  constructor(readonly error: DesklineError) {}
}

const enum Ch {
  Tab = 9,
  Lf = 10,
  Cr = 13,
  Space = 32,
  Bang = 33,
  Quot = 34,
  Hash = 35,
  Amp = 38,
  Apos = 39,
  Minus = 45,
  Dot = 46,
  Slash = 47,
  Zero = 48,
  Nine = 57,
  Colon = 58,
  Semi = 59,
  Lt = 60,
  Eq = 61,
  Gt = 62,
  Question = 63,
  UpperA = 65,
  UpperZ = 90,
  LBracket = 91,
  RBracket = 93,
  Underscore = 95,
  LowerA = 97,
  LowerX = 120,
  LowerZ = 122,
}

function isSpace(c: number): boolean {
  return c === Ch.Space || c === Ch.Lf || c === Ch.Tab || c === Ch.Cr;
}
function isNameStart(c: number): boolean {
  return (
    (c >= Ch.LowerA && c <= Ch.LowerZ) ||
    (c >= Ch.UpperA && c <= Ch.UpperZ) ||
    c === Ch.Underscore ||
    c === Ch.Colon ||
    c >= 0xc0
  );
}
function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= Ch.Zero && c <= Ch.Nine) || c === Ch.Minus || c === Ch.Dot || c === 0xb7;
}

/** Namespaces in XML §3 NCName, by the same character classes the parser accepts (so that
 *  whatever the parser read as a local name, the encoder writes back). */
export function isNCName(s: string): boolean {
  if (s.length === 0) return false;
  const first = s.charCodeAt(0);
  if (first === Ch.Colon || !isNameStart(first)) return false;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === Ch.Colon || !isNameChar(c)) return false;
  }
  return true;
}

// XML 1.0 §2.2 Char: no C0 controls other than TAB, LF, CR; no U+FFFE/U+FFFF.
// (Surrogates are already excluded: the input is well-formed UTF-16.)
// eslint-disable-next-line no-control-regex -- these are exactly the characters XML 1.0 §2.2 excludes
const INVALID_CHAR_RE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

function isWhitespaceOnly(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isSpace(s.charCodeAt(i))) return false;
  return true;
}

/** XML declarations as CSTA peers write them: each one valid by the rules of declaration(). */
const USUAL_DECLARATIONS = [
  '<?xml version="1.0" encoding="UTF-8"?>',
  '<?xml version="1.0"?>',
  '<?xml version="1.0" encoding="utf-8"?>',
];

// Element and attribute names recur from one document to the next (the same few hundred CSTA
// names): each is read as the string seen before instead of being cut out of the document again,
// which also lets the codec's lookups by name use the hash the string already has. A cache of
// 4,096 names by a hash of their characters, two places per hash (the newest first): a hostile
// document's made-up names only replace entries, so it stays that size (docs/benchmarks.md,
// "Profile findings and engine changes").
const NAME_CACHE_SIZE = 4096;
const nameCache: (string | undefined)[] = new Array<string | undefined>(NAME_CACHE_SIZE).fill(undefined);

function sameName(cached: string | undefined, s: string, start: number, length: number): boolean {
  if (cached === undefined || cached.length !== length) return false;
  // Compared character by character: startsWith(x, position) costs more than the whole loop.
  let k = 0;
  while (k < length && cached.charCodeAt(k) === s.charCodeAt(start + k)) k++;
  return k === length;
}

/** The name `s[start, end)`, as a cached string when the same name was read before. */
function internedName(s: string, start: number, end: number): string {
  const length = end - start;
  if (length > 64) return s.slice(start, end);
  let h = length;
  for (let i = start; i < end; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  const first = (h ^ (h >>> 12)) & (NAME_CACHE_SIZE - 1);
  const second = first ^ 1;
  const a = nameCache[first];
  if (sameName(a, s, start, length)) return a as string;
  const b = nameCache[second];
  if (sameName(b, s, start, length)) return b as string;
  // A cached name must not keep its document alive: V8 cuts a substring of 13 characters or more
  // as a view into the whole string, so those are copied out.
  const name = length < 13 ? s.slice(start, end) : Buffer.from(s.slice(start, end), 'utf8').toString('utf8');
  nameCache[second] = a;
  nameCache[first] = name;
  return name;
}

class Parser {
  private pos = 0;
  /** Names and namespace scopes of the open elements, outermost first. */
  private readonly openNames: string[] = [];
  private readonly openScopes: NsScope[] = [];
  private sawRoot = false;
  private rootClosed = false;

  private readonly maxDepth: number;
  private readonly maxAttributes: number;
  private readonly maxElements: number;
  private elements = 0;

  constructor(
    private readonly s: string,
    limits: XmlLimits,
    private readonly sink: XmlSink,
  ) {
    this.maxDepth = limits.maxDepth;
    this.maxAttributes = limits.maxAttributes;
    this.maxElements = limits.maxElements;
  }

  /** The first error, or undefined; throws only what the sink throws. */
  parse(): DesklineError | undefined {
    try {
      this.declaration();
      this.content();
      if (this.openNames.length > 0) {
        const open = this.openNames[this.openNames.length - 1] as string;
        this.fail(`unclosed element <${open}> at end of document`, this.s.length);
      }
      if (!this.sawRoot) this.fail('no root element', this.s.length);
      return undefined;
    } catch (e) {
      if (e instanceof ParseFailure) return e.error;
      throw e;
    }
  }

  private fail(message: string, offset: number, code: ErrorCode = ErrorCode.XmlMalformed): never {
    const { line, column } = lineColumn(this.s, offset);
    throw new ParseFailure(
      new DesklineError(code, `${message} (line ${line}, column ${column})`, {
        detail: { offset, line, column },
      }),
    );
  }

  /** XML 1.0 §2.8 XMLDecl: only at offset 0. */
  private declaration(): void {
    const s = this.s;
    if (!s.startsWith('<?xml') || !(isSpace(s.charCodeAt(5)) || s.charCodeAt(5) === Ch.Question)) return;
    // The declarations CSTA peers write (ours among them), accepted without the general reading below.
    for (const usual of USUAL_DECLARATIONS) {
      if (s.startsWith(usual)) {
        this.pos = usual.length;
        return;
      }
    }
    const end = s.indexOf('?>', 5);
    if (end === -1) this.fail('unterminated XML declaration', 0);
    const body = s.slice(5, end);
    const re = /\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/y;
    let i = 0;
    let sawVersion = false;
    while (i < body.length) {
      if (isWhitespaceOnly(body.slice(i))) break;
      re.lastIndex = i;
      const m = re.exec(body);
      if (m === null) this.fail('malformed XML declaration', 5 + i);
      const name = m[1] as string;
      const value = m[2] ?? m[3] ?? '';
      if (name === 'version') {
        if (!/^1\.[0-9]+$/.test(value)) this.fail(`unsupported XML version "${value}"`, 5 + i);
        sawVersion = true;
      } else if (name === 'encoding') {
        // We decoded the bytes as UTF-8; a document claiming another encoding is refused
        // rather than silently misread (XML 1.0 §4.3.3).
        if (value.toLowerCase() !== 'utf-8') {
          const { line, column } = lineColumn(s, 5 + i);
          throw new ParseFailure(
            new DesklineError(
              ErrorCode.XmlEncoding,
              `XML declares encoding "${value}": only UTF-8 is accepted`,
              { detail: { encoding: value, line, column } },
            ),
          );
        }
      } else if (name !== 'standalone') {
        this.fail(`unknown XML declaration attribute "${name}"`, 5 + i);
      }
      i = re.lastIndex;
    }
    if (!sawVersion) this.fail('XML declaration without version', 0);
    this.pos = end + 2;
  }

  private content(): void {
    const s = this.s;
    const len = s.length;
    while (this.pos < len) {
      const lt = s.indexOf('<', this.pos);
      const textEnd = lt === -1 ? len : lt;
      if (textEnd > this.pos) this.characterData(this.pos, textEnd);
      if (lt === -1) {
        this.pos = len;
        break;
      }
      const c = s.charCodeAt(lt + 1);
      if (c === Ch.Slash) this.endTag(lt);
      else if (c === Ch.Bang) this.markup(lt);
      else if (c === Ch.Question) this.processingInstruction(lt);
      else this.startTag(lt);
    }
  }

  private characterData(start: number, end: number): void {
    const s = this.s;
    let raw = s.slice(start, end);
    if (this.openNames.length === 0) {
      if (!isWhitespaceOnly(raw))
        this.fail(this.rootClosed ? 'text after the root element' : 'text before the root element', start);
      return;
    }
    if (INVALID_CHAR_RE.test(raw))
      this.fail('character not allowed in XML', start + raw.search(INVALID_CHAR_RE));
    // XML 1.0 §2.4: "]]>" must not appear in character data.
    const cdataEnd = raw.indexOf(']]>');
    if (cdataEnd !== -1) this.fail('"]]>" in character data', start + cdataEnd);
    // XML 1.0 §2.11: line ends are normalised to LF.
    if (raw.indexOf('\r') !== -1) raw = raw.replace(/\r\n?/g, '\n');
    this.sink.characters(raw.indexOf('&') === -1 ? raw : this.decodeReferences(raw, start));
  }

  /** XML 1.0 §4.1, §4.6: character references and the five predefined entities. Nothing else. */
  private decodeReferences(raw: string, base: number): string {
    let out = '';
    let i = 0;
    for (;;) {
      const amp = raw.indexOf('&', i);
      if (amp === -1) return out + raw.slice(i);
      out += raw.slice(i, amp);
      const semi = raw.indexOf(';', amp + 1);
      if (semi === -1 || semi - amp > 12) this.fail('"&" not starting a reference (write &amp;)', base + amp);
      const ref = raw.slice(amp + 1, semi);
      if (ref.charCodeAt(0) === Ch.Hash) {
        const hex = ref.charCodeAt(1) === Ch.LowerX;
        const digits = ref.slice(hex ? 2 : 1);
        if (!(hex ? /^[0-9A-Fa-f]+$/ : /^[0-9]+$/).test(digits))
          this.fail(`malformed character reference &${ref};`, base + amp);
        const code = parseInt(digits, hex ? 16 : 10);
        const valid =
          code === 0x9 ||
          code === 0xa ||
          code === 0xd ||
          (code >= 0x20 && code <= 0xd7ff) ||
          (code >= 0xe000 && code <= 0xfffd) ||
          (code >= 0x10000 && code <= 0x10ffff);
        if (!valid) this.fail(`character reference &${ref}; is not an XML character`, base + amp);
        out += String.fromCodePoint(code);
      } else {
        switch (ref) {
          case 'amp':
            out += '&';
            break;
          case 'lt':
            out += '<';
            break;
          case 'gt':
            out += '>';
            break;
          case 'quot':
            out += '"';
            break;
          case 'apos':
            out += "'";
            break;
          default: {
            if (!/^[A-Za-z_:][\w.:-]*$/.test(ref))
              this.fail('"&" not starting a reference (write &amp;)', base + amp);
            const { line, column } = lineColumn(this.s, base + amp);
            throw new ParseFailure(
              new DesklineError(
                ErrorCode.XmlForbiddenConstruct,
                `entity reference &${ref}; is not allowed: only the five predefined entities and character references are (line ${line}, column ${column})`,
                {
                  detail: { entity: ref, offset: base + amp, line, column },
                },
              ),
            );
          }
        }
      }
      i = semi + 1;
    }
  }

  private markup(lt: number): void {
    const s = this.s;
    if (s.startsWith('<!--', lt)) {
      const end = s.indexOf('-->', lt + 4);
      if (end === -1) this.fail('unterminated comment', lt);
      // XML 1.0 §2.5: "--" must not occur within comments.
      const dd = s.indexOf('--', lt + 4);
      if (dd !== end) this.fail('"--" inside a comment', dd);
      this.pos = end + 3;
      return;
    }
    if (s.startsWith('<![CDATA[', lt)) {
      if (this.openNames.length === 0) this.fail('CDATA section outside the root element', lt);
      const end = s.indexOf(']]>', lt + 9);
      if (end === -1) this.fail('unterminated CDATA section', lt);
      let raw = s.slice(lt + 9, end);
      if (INVALID_CHAR_RE.test(raw))
        this.fail('character not allowed in XML', lt + 9 + raw.search(INVALID_CHAR_RE));
      if (raw.indexOf('\r') !== -1) raw = raw.replace(/\r\n?/g, '\n');
      this.sink.characters(raw);
      this.pos = end + 3;
      return;
    }
    // DOCTYPE and friends were refused before parsing; anything else after "<!" is not XML.
    this.fail('unexpected "<!"', lt);
  }

  private processingInstruction(lt: number): void {
    const s = this.s;
    const end = s.indexOf('?>', lt + 2);
    if (end === -1) this.fail('unterminated processing instruction', lt);
    let i = lt + 2;
    if (!isNameStart(s.charCodeAt(i))) this.fail('processing instruction without a target', lt);
    while (i < end && isNameChar(s.charCodeAt(i))) i++;
    const target = s.slice(lt + 2, i);
    // XML 1.0 §2.6: targets matching [Xx][Mm][Ll] are reserved; the declaration is only legal at offset 0.
    if (target.toLowerCase() === 'xml') this.fail('XML declaration not at the start of the document', lt);
    if (i < end && !isSpace(s.charCodeAt(i))) this.fail('malformed processing instruction', i);
    // Other processing instructions carry nothing for CSTA and are ignored (XML 1.0 §2.6 lets us).
    this.pos = end + 2;
  }

  private readName(at: number): number {
    const s = this.s;
    if (!isNameStart(s.charCodeAt(at))) this.fail('expected a name', at);
    let i = at + 1;
    while (i < s.length && isNameChar(s.charCodeAt(i))) i++;
    return i;
  }

  private endTag(lt: number): void {
    const s = this.s;
    const nameEnd = this.readName(lt + 2);
    let i = nameEnd;
    while (isSpace(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) !== Ch.Gt) this.fail(`malformed end tag </${s.slice(lt + 2, nameEnd)}`, lt);
    const top = this.openNames.pop();
    if (top === undefined) this.fail(`end tag </${s.slice(lt + 2, nameEnd)}> without a start tag`, lt);
    // Compared in place: the name is cut out only for the error message.
    if (top.length !== nameEnd - lt - 2 || !s.startsWith(top, lt + 2))
      this.fail(`end tag </${s.slice(lt + 2, nameEnd)}> does not match <${top}>`, lt);
    this.openScopes.pop();
    this.sink.endElement();
    if (this.openNames.length === 0) this.rootClosed = true;
    this.pos = i + 1;
  }

  private startTag(lt: number): void {
    const s = this.s;
    if (this.rootClosed) this.fail('a second root element', lt);
    if (++this.elements > this.maxElements)
      this.fail(`more than ${this.maxElements} elements`, lt, ErrorCode.XmlTooLarge);
    const nameEnd = this.readName(lt + 1);
    const name = internedName(s, lt + 1, nameEnd);
    let i = nameEnd;
    let attrs: string[] | undefined;
    let seen: Set<string> | undefined;
    let scope: Record<string, string> | undefined;
    const openDepth = this.openScopes.length;
    const parentScope: NsScope = openDepth === 0 ? ROOT_SCOPE : (this.openScopes[openDepth - 1] as NsScope);
    let selfClosing = false;
    for (;;) {
      const before = i;
      while (isSpace(s.charCodeAt(i))) i++;
      const c = s.charCodeAt(i);
      if (c === Ch.Gt) {
        i++;
        break;
      }
      if (c === Ch.Slash) {
        if (s.charCodeAt(i + 1) !== Ch.Gt) this.fail('expected "/>"', i);
        selfClosing = true;
        i += 2;
        break;
      }
      if (Number.isNaN(c)) this.fail(`unterminated start tag <${name}`, lt);
      if (i === before) this.fail('whitespace required between attributes', i);
      const attrNameEnd = this.readName(i);
      const attrName = internedName(s, i, attrNameEnd);
      i = attrNameEnd;
      while (isSpace(s.charCodeAt(i))) i++;
      if (s.charCodeAt(i) !== Ch.Eq) this.fail(`attribute ${attrName} without a value`, i);
      i++;
      while (isSpace(s.charCodeAt(i))) i++;
      const q = s.charCodeAt(i);
      if (q !== Ch.Quot && q !== Ch.Apos) this.fail(`attribute ${attrName} value not quoted`, i);
      const close = s.indexOf(q === Ch.Quot ? '"' : "'", i + 1);
      if (close === -1) this.fail(`unterminated value of attribute ${attrName}`, i);
      let value = s.slice(i + 1, close);
      if (value.indexOf('<') !== -1)
        this.fail(`"<" in the value of attribute ${attrName}`, i + 1 + value.indexOf('<'));
      if (INVALID_CHAR_RE.test(value))
        this.fail('character not allowed in XML', i + 1 + value.search(INVALID_CHAR_RE));
      // XML 1.0 §3.3.3: literal white space in attribute values is normalised to spaces.
      if (/[\t\n\r]/.test(value)) value = value.replace(/\r\n|[\t\n\r]/g, ' ');
      if (value.indexOf('&') !== -1) value = this.decodeReferences(value, i + 1);
      i = close + 1;
      if (attrs === undefined) attrs = [];
      // XML 1.0 §3.1 "Unique Att Spec", in linear time whatever the count.
      if (seen !== undefined) {
        if (seen.has(attrName)) this.fail(`duplicate attribute ${attrName}`, before);
        seen.add(attrName);
      } else {
        for (let k = 0; k < attrs.length; k += 2)
          if (attrs[k] === attrName) this.fail(`duplicate attribute ${attrName}`, before);
        if (attrs.length >= ATTRIBUTE_SET_THRESHOLD * 2) {
          seen = new Set<string>();
          for (let k = 0; k < attrs.length; k += 2) seen.add(attrs[k] as string);
          seen.add(attrName);
        }
      }
      if (attrs.length >= this.maxAttributes * 2)
        this.fail(`more than ${this.maxAttributes} attributes on <${name}>`, before, ErrorCode.XmlTooLarge);
      attrs.push(attrName, value);
      if (attrName === 'xmlns' || attrName.startsWith('xmlns:')) {
        const prefix = attrName === 'xmlns' ? '' : attrName.slice(6);
        // Namespaces in XML §3: xmlns:p="" is not allowed in 1.0; the xml/xmlns prefixes are reserved.
        if (prefix !== '' && value === '') this.fail(`empty namespace for prefix ${prefix}`, before);
        if (prefix === 'xmlns' || (prefix === 'xml' && value !== XML_NAMESPACE))
          this.fail(`reserved prefix ${prefix} redeclared`, before);
        if (scope === undefined) scope = Object.create(parentScope) as Record<string, string>;
        scope[prefix] = value;
      }
    }
    const depth = openDepth + 1;
    if (depth > this.maxDepth) {
      const { line, column } = lineColumn(s, lt);
      throw new ParseFailure(
        new DesklineError(
          ErrorCode.XmlTooDeep,
          `XML nesting deeper than ${this.maxDepth} at <${name}> (line ${line}, column ${column})`,
          {
            detail: { maxDepth: this.maxDepth, line, column },
          },
        ),
      );
    }
    const elScope: NsScope = scope ?? parentScope;
    const colon = name.indexOf(':');
    let prefix = '';
    let local = name;
    if (colon !== -1) {
      prefix = internedName(name, 0, colon);
      local = internedName(name, colon + 1, name.length);
      if (prefix === '' || local === '' || local.indexOf(':') !== -1)
        this.fail(`malformed qualified name ${name}`, lt);
      if (prefix === 'xmlns') this.fail('element with the reserved prefix xmlns', lt);
    }
    const ns = colon === -1 ? (elScope[''] ?? '') : elScope[prefix];
    if (ns === undefined) this.fail(`namespace prefix "${prefix}" is not declared`, lt);
    if (attrs !== undefined) {
      // Namespaces in XML §6.3: no two attributes with the same local name in the same namespace
      // (a:x and b:x with a and b bound to one URI). One pass, a set only when prefixes are used.
      let expanded: Set<string> | undefined;
      for (let k = 0; k < attrs.length; k += 2) {
        const an = attrs[k] as string;
        const ac = an.indexOf(':');
        if (ac === -1 || an.startsWith('xmlns:')) continue;
        const ap = an.slice(0, ac);
        if (ap === '' || ac === an.length - 1 || an.indexOf(':', ac + 1) !== -1)
          this.fail(`malformed attribute name ${an}`, lt);
        const uri = elScope[ap];
        if (uri === undefined) this.fail(`namespace prefix "${ap}" is not declared`, lt);
        const key = uri + '\u0000' + an.slice(ac + 1);
        if (expanded === undefined) expanded = new Set<string>();
        else if (expanded.has(key)) this.fail(`attribute ${an} duplicates another in the same namespace`, lt);
        expanded.add(key);
      }
    }
    this.sawRoot = true;
    this.sink.startElement(name, prefix, local, ns, attrs, elScope, lt);
    if (selfClosing) {
      this.sink.endElement();
      if (openDepth === 0) this.rootClosed = true;
    } else {
      this.openNames.push(name);
      this.openScopes.push(elScope);
    }
    this.pos = i;
  }
}

/** 1-based line and column of an offset (computed only when reporting an error). */
export function lineColumn(s: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, s.length);
  for (let i = 0; i < end; i++) {
    if (s.charCodeAt(i) === Ch.Lf) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

// ---- encoding helpers -------------------------------------------------------------------------

// Characters XML 1.0 cannot carry at all, not even as references; replaced by U+FFFD on output
// so that what we send always parses (a bug upstream must not produce an unparsable frame).
const UNENCODABLE_RE =
  // eslint-disable-next-line no-control-regex -- XML 1.0 §2.2: not representable at all
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// eslint-disable-next-line no-control-regex -- fast path: does the value need any escaping?
const TEXT_SPECIAL_RE = /[&<>\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
// eslint-disable-next-line no-control-regex -- fast path: does the value need any escaping?
const ATTR_SPECIAL_RE = /[&<>"\t\n\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

/** Escapes character data. CR is written as &#13; so that it survives line-end normalisation. */
export function escapeText(value: string): string {
  if (!TEXT_SPECIAL_RE.test(value)) return value;
  return value
    .replace(UNENCODABLE_RE, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r/g, '&#13;');
}

/** Escapes an attribute value for double quotes; TAB/LF/CR as references survive normalisation. */
export function escapeAttribute(value: string): string {
  if (!ATTR_SPECIAL_RE.test(value)) return value;
  return value
    .replace(UNENCODABLE_RE, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

/** Serialises a generic node (its attributes are written as they are, declarations included). */
export function encodeXmlNode(node: XmlNode): string {
  let out = '<' + node.name;
  const attributes = node.attributes;
  if (attributes !== undefined) {
    for (const key in attributes) out += ' ' + key + '="' + escapeAttribute(attributes[key] as string) + '"';
  }
  const children = node.children;
  const text = node.text;
  if ((children === undefined || children.length === 0) && (text === undefined || text === ''))
    return out + '/>';
  out += '>';
  if (text !== undefined) out += escapeText(text);
  if (children !== undefined) for (const child of children) out += encodeXmlNode(child);
  return out + '</' + node.name + '>';
}

/**
 * Converts a parsed element into a self-contained generic node: namespace declarations it relies
 * on from outside (prefixes it or its descendants use, and the default namespace when it differs
 * from `homeNs`, the namespace the node will be re-encoded under) are copied onto it.
 */
export function toXmlNode(el: XmlElement, homeNs: string): XmlNode {
  const usedPrefixes = new Set<string>();
  const state = { unprefixed: false };
  const node = convert(el, usedPrefixes, state);
  let extra: Record<string, string> | undefined;
  const own = node.attributes;
  for (const prefix of usedPrefixes) {
    const key = 'xmlns:' + prefix;
    if (own !== undefined && key in own) continue;
    const uri = el.scope[prefix];
    if (uri === undefined || prefix === 'xml') continue;
    (extra ??= {})[key] = uri;
  }
  if (state.unprefixed && (own === undefined || !('xmlns' in own))) {
    const defaultNs = el.scope[''] ?? '';
    if (defaultNs !== homeNs) (extra ??= {})['xmlns'] = defaultNs;
  }
  if (extra !== undefined) node.attributes = { ...extra, ...own };
  return node;
}

function convert(el: XmlElement, usedPrefixes: Set<string>, state: { unprefixed: boolean }): XmlNode {
  const node: XmlNode = { name: el.name };
  if (el.prefix === '') state.unprefixed = true;
  else usedPrefixes.add(el.prefix);
  const attrs = el.attrs;
  if (attrs !== undefined) {
    const record: Record<string, string> = {};
    for (let k = 0; k < attrs.length; k += 2) {
      const an = attrs[k] as string;
      record[an] = attrs[k + 1] as string;
      const ac = an.indexOf(':');
      if (ac !== -1 && !an.startsWith('xmlns:')) usedPrefixes.add(an.slice(0, ac));
    }
    node.attributes = record;
  }
  if (el.children !== undefined)
    node.children = el.children.map((child) => convert(child, usedPrefixes, state));
  if (el.text !== '') node.text = el.text;
  return node;
}
