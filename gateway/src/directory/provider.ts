// The directory provider interface (docs/directory.md §1): where users, licences, lines and line
// appearances come from. A provider loads a snapshot in the records of the CTI directory codec
// (DirectoryUser, DirectoryDevice with its lines = the line appearances), keeps the last good one
// when a refresh fails or looks wrong, and says so through its status. The session core builds
// its Directory indexes from `snapshot.users` and `snapshot.devices`, exactly as it does from the
// CTI link's `dl:directory` segments.
//
// Layering: this folder sits between cti/ and core/. It imports util/, numbering/ and the record
// types of cti/directory-codec.ts, never core/ or anything above.
import type { DirectoryDevice, DirectoryUser } from '../cti-link/directory-codec.js';
import type { DirectoryError, DirectoryProblem } from './errors.js';

export type { DirectoryDevice, DirectoryLine, DirectoryUser } from '../cti-link/directory-codec.js';

/** Which kind of source a provider reads (the `directory.source` setting). */
export type DirectorySourceKind = 'ldap' | 'file' | 'cti';

export interface DirectoryCounts {
  /** Users in the snapshot (ours: for LDAP, the ones whose line server names this gateway). */
  readonly users: number;
  /** Of those, the ones holding a licence. */
  readonly licensedUsers: number;
  readonly devices: number;
  /** Distinct lines (dn × partition). */
  readonly lines: number;
  /** Line appearances (device × line). */
  readonly appearances: number;
  /** Entries the source returned that did not become users (reasons in `findings`). */
  readonly skipped: number;
}

export interface SnapshotMeta {
  readonly kind: DirectorySourceKind;
  /** Where it came from, for logs and the troubleshooter (`ldaps://dc1.example.com:636`). */
  readonly source: string;
  /** Epoch ms when the load finished. */
  readonly loadedAt: number;
  readonly durationMs: number;
  readonly counts: DirectoryCounts;
}

/** One check the provider made on an entry: what the troubleshooter shows. */
export interface FindingCheck {
  readonly check:
    | 'userId'
    | 'sipUri'
    | 'lineServer'
    | 'licence'
    | 'remoteCallControl'
    | 'lineUri'
    /** Records sources (file, cti): the devices the user controls and their lines. */
    | 'devices';
  readonly ok: boolean;
  /** In plain words, with the value seen. */
  readonly detail: string;
}

/** Why an entry of the source is, or is not, a user of this gateway. */
export interface UserFinding {
  /** The user ID, or the entry's DN when it has none. */
  readonly userId: string;
  /** The entry: its DN for LDAP. */
  readonly entry: string;
  /** True when the entry became a user of the snapshot. */
  readonly included: boolean;
  readonly checks: readonly FindingCheck[];
}

export interface DirectorySnapshot {
  readonly users: readonly DirectoryUser[];
  /** Devices with their lines: each DirectoryLine of a device is one line appearance. */
  readonly devices: readonly DirectoryDevice[];
  readonly meta: SnapshotMeta;
  /** Keyed by lower-cased user ID (or DN for entries without one). */
  readonly findings: ReadonlyMap<string, UserFinding>;
}

/** What a refresh ended with. `snapshot` is the one in force afterwards (the last good one
 *  when the refresh failed or was refused), undefined while none was ever accepted. */
export type RefreshOutcome =
  | { readonly kind: 'accepted'; readonly snapshot: DirectorySnapshot }
  | {
      readonly kind: 'refused';
      readonly snapshot: DirectorySnapshot | undefined;
      readonly alarm: DirectoryAlarm;
    }
  | {
      readonly kind: 'failed';
      readonly snapshot: DirectorySnapshot | undefined;
      readonly error: DirectoryError;
    };

export const DirectoryAlarmKind = {
  /** The source could not be read; the last good snapshot (if any) stays in force. */
  Unavailable: 'unavailable',
  /** The source returned no user at all; refused. */
  EmptyRefused: 'emptyRefused',
  /** The source returned far fewer users, licensed users or appearances than the last good
   *  snapshot; refused until an operator accepts it (acceptNextLoad). */
  ShrinkRefused: 'shrinkRefused',
} as const;
export type DirectoryAlarmKind = (typeof DirectoryAlarmKind)[keyof typeof DirectoryAlarmKind];

export interface DirectoryAlarm {
  readonly kind: DirectoryAlarmKind;
  /** Epoch ms when it was first raised (a repeat keeps the first time). */
  readonly raisedAt: number;
  readonly message: string;
  readonly problem: DirectoryProblem;
  readonly setting?: string;
}

/** STYLE habit 5: the provider's states (docs/directory.md §2 draws the transitions). */
export const DirectoryProviderState = {
  /** Nothing loaded yet, first load not finished. */
  Starting: 'starting',
  /** The last refresh was accepted. */
  Ready: 'ready',
  /** Serving the last good snapshot: the last refresh failed or was refused (an alarm is raised). */
  Degraded: 'degraded',
  /** No snapshot ever accepted and the last attempt failed or was refused. */
  Failed: 'failed',
  Disposed: 'disposed',
} as const;
export type DirectoryProviderState = (typeof DirectoryProviderState)[keyof typeof DirectoryProviderState];

export interface DirectoryStatus {
  readonly kind: DirectorySourceKind;
  readonly source: string;
  readonly state: DirectoryProviderState;
  /** The snapshot in force. */
  readonly current: SnapshotMeta | undefined;
  readonly lastAttemptAt: number | undefined;
  readonly lastError:
    { readonly problem: DirectoryProblem; readonly message: string; readonly setting?: string } | undefined;
  readonly consecutiveFailures: number;
  /** Active alarms (cleared by the next accepted refresh). */
  readonly alarms: readonly DirectoryAlarm[];
  /** Epoch ms of the next scheduled refresh, when started. */
  readonly nextRefreshAt: number | undefined;
}

export interface DirectoryProvider {
  readonly kind: DirectorySourceKind;
  /** Loads now (the first load, or a refresh on demand); never rejects. Concurrent calls share one load. */
  load(): Promise<RefreshOutcome>;
  /** The snapshot in force, undefined before the first accepted load. */
  current(): DirectorySnapshot | undefined;
  /** Loads now, then refreshes periodically (and retries sooner after a failure). */
  start(): void;
  /** Called with every accepted snapshot (not with refused or failed refreshes). */
  onSnapshot(listener: (snapshot: DirectorySnapshot) => void): () => void;
  /** Called whenever the status changes (alarm raised or cleared, state change). */
  onStatus(listener: (status: DirectoryStatus) => void): () => void;
  status(): DirectoryStatus;
  /** An operator's confirmation that the next load may be empty or much smaller (the sanity
   *  check is skipped once). */
  acceptNextLoad(): void;
  /** Names for numbers and people search, when the source offers them. */
  readonly lookup: DirectoryLookup | undefined;
  /** Stops timers, closes connections, waits for a load in progress. */
  dispose(): Promise<void>;
}

// ---------------------------------------------------------------- lookups (desk face)

export type PersonNumberKind = 'work' | 'mobile' | 'line';

export interface PersonNumber {
  readonly kind: PersonNumberKind;
  /** As the directory holds it (`+1 408 555-1234`, or a line URI for `line`). */
  readonly number: string;
}

export interface DirectoryPerson {
  /** The user ID when the entry has one. */
  readonly userId: string | undefined;
  readonly displayName: string;
  readonly numbers: readonly PersonNumber[];
  readonly sipUri: string | undefined;
}

export interface PeopleSearchResult {
  readonly people: readonly DirectoryPerson[];
  /** More matched than the limit allowed: the user should type more. */
  readonly truncated: boolean;
}

export interface DirectoryLookup {
  /** The person a telephone number belongs to, undefined when nobody matches (or the number is
   *  not one). Rejects with a DirectoryError when the source cannot be read. */
  nameForNumber(number: string): Promise<DirectoryPerson | undefined>;
  /** People whose name (or number, for a query of digits) contains every word of the query;
   *  bounded by `limit` and the provider's own maximum. Rejects with a DesklineError
   *  (InvalidArgument) for a query too short, too long or with control characters, and with a
   *  DirectoryError when the source cannot be read. */
  searchPeople(query: string, limit?: number): Promise<PeopleSearchResult>;
}
