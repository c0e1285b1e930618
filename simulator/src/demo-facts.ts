// The demo cluster's facts a host needs before (or without) starting the simulator: the demo
// credentials, the demo user and the demo numbering rules. Written once, here; no imports, so
// a host can hold them without loading the simulator (host/src/demo.ts loads it on demand).

/** Demo-only CTI application credentials. Never use them outside a demo. */
export const DEMO_APPLICATION_USER = 'deskline';
export const DEMO_APPLICATION_PASSWORD = 'deskline';

/** The demo user whose phone the desktop app and the browser shell control when none is set. */
export const DEMO_USER_ID = 'alice';

/**
 * The demo cluster's numbering rules (docs/numbering.md §4), in the gateway's `numbering`
 * configuration schema (gateway/test/numbering/rules.test.ts validates them): 4-digit internal
 * extensions 1000-8999, site DIDs +1 408 555 1xxx (extension = last 4 digits), 9 for an outside
 * line, bare 10-digit and 1+10-digit NANP numbers and 011 international as dialled from a North
 * American desk, and `+` E.164 as is.
 */
const DEMO_RULES = {
  lineUri: {
    rewrites: [
      {
        name: 'site-did-line',
        description: 'E.164 line URI of a site DID → its extension',
        match: '^\\+14085551(\\d{3})$',
        replace: '1$1',
      },
    ],
    defaultPartition: 'INTERNAL',
    unmatched: 'useNumber',
  },
  dial: {
    unmatched: 'dialAsIs',
    rules: [
      {
        name: 'internal-extension',
        description: '4-digit extension, dialled as is',
        match: '^[1-8]\\d{3}$',
        replace: '$&',
      },
      {
        name: 'outside-international',
        description: '9 011 + international → +',
        match: '^9011([1-9]\\d{6,14})$',
        replace: '+$1',
        continue: true,
      },
      {
        name: 'outside-long-distance',
        description: '9 1 + 10 digits → +1',
        match: '^91([2-9]\\d{2}[2-9]\\d{6})$',
        replace: '+1$1',
        continue: true,
      },
      {
        name: 'outside-national',
        description: '9 + 10 digits → +1',
        match: '^9([2-9]\\d{2}[2-9]\\d{6})$',
        replace: '+1$1',
        continue: true,
      },
      {
        name: 'outside-local',
        description: '9 + 7 digits → +1 408',
        match: '^9([2-9]\\d{6})$',
        replace: '+1408$1',
        continue: true,
      },
      {
        name: 'international-011',
        description: '011 + international → + (Cisco style)',
        beginsWith: '011',
        removeDigits: 3,
        prefix: '+',
        continue: true,
      },
      {
        name: 'long-distance',
        description: '1 + 10 digits → +1 (Cisco style)',
        beginsWith: '1',
        numberOfDigits: 11,
        removeDigits: 0,
        prefix: '+',
        continue: true,
      },
      {
        name: 'national',
        description: '10 digits → +1',
        match: '^[2-9]\\d{2}[2-9]\\d{6}$',
        replace: '+1$&',
        continue: true,
      },
      {
        name: 'site-did',
        description: 'our own DIDs stay internal: +1 408 555 1xxx → 1xxx (Cisco style)',
        beginsWith: '+14085551',
        numberOfDigits: 12,
        removeDigits: 8,
        prefix: '',
      },
    ],
  },
  directoryLookup: {
    rules: [
      {
        name: 'site-did',
        description: 'a caller on one of our DIDs is the user of that extension',
        beginsWith: '+14085551',
        numberOfDigits: 12,
        removeDigits: 8,
        prefix: '',
      },
      {
        name: 'national',
        description: '10 digits presented by the carrier → +1',
        match: '^[2-9]\\d{2}[2-9]\\d{6}$',
        replace: '+1$&',
      },
    ],
  },
} as const;

type Writable<T> = { -readonly [K in keyof T]: Writable<T[K]> };
/** DEMO_RULES as plain data: literal types kept (the schema's enums accept them), arrays
 *  writable like a parsed YAML file's (the simulator does not see the engine's types). */
export const DEMO_NUMBERING_RULES = DEMO_RULES as Writable<typeof DEMO_RULES>;
