// The plain view objects that cross from the engine to any UI (Electron IPC or the
// browser shell's WebSocket). Every one is a zod schema so both ends validate at the
// boundary (docs/architecture.md §4.3); the TypeScript types are inferred from the schemas.
import { z } from 'zod';
import { MAX_CTI_NODES } from '../limits.js';

// ---------------------------------------------------------------- directory and lines

export const LicenceKind = z.enum(['UCL', 'CUWL']);
export type LicenceKind = z.infer<typeof LicenceKind>;

export const UserView = z.object({
  userId: z.string(),
  displayName: z.string(),
  /** IM and Presence licence; RCC needs one (Cisco: UCL or CUWL). */
  licence: LicenceKind.nullable(),
});
export type UserView = z.infer<typeof UserView>;

/**
 * Why a line appearance cannot be controlled, as a stable code (the UI words it) and a detail
 * for an administrator (device name, setting): never shown as the line's text.
 *   notLicensed           the user has no IM and Presence licence (UCL or CUWL)
 *   ctiControlDisallowed  the phone's "Allow Control of Device from CTI" is off
 */
export const LineUnavailableCode = z.enum(['notLicensed', 'ctiControlDisallowed']);
export type LineUnavailableCode = z.infer<typeof LineUnavailableCode>;

export const LineUnavailableView = z.object({ code: LineUnavailableCode, detail: z.string() });
export type LineUnavailableView = z.infer<typeof LineUnavailableView>;

export const LineAppearanceView = z.object({
  /** Stable identifier of the appearance (device × line); also its CTI device ID. */
  id: z.string(),
  deviceName: z.string(),
  deviceModel: z.string(),
  deviceDescription: z.string(),
  dn: z.string(),
  partition: z.string(),
  /** The line URI a Microsoft client would be provisioned with for this line. */
  lineUri: z.string(),
  label: z.string(),
  /** The same line appears on other devices too (shared line). */
  shared: z.boolean(),
  sharedWith: z.array(z.string()),
  controllable: z.boolean(),
  /** Why it cannot be controlled, in words a user understands; absent when controllable. */
  notControllableReason: z.string().optional(),
  /** Why it cannot be controlled, as a code and an administrator's detail; absent when controllable. */
  unavailable: LineUnavailableView.optional(),
  /** Its calls are shown (monitored). False for a line left out by the per-user monitor limit
   *  (`users.maxMonitorsPerUser`); absent before the desk watches any line. */
  watched: z.boolean().optional(),
});
export type LineAppearanceView = z.infer<typeof LineAppearanceView>;

// ---------------------------------------------------------------- calls

export const CallState = z.enum([
  'initiated', // our side went off-hook / dialling
  'alerting', // ringing at the far end (outbound)
  'ringing', // ringing at our phone (inbound)
  'connected',
  'held', // we hold it
  'failed', // busy, invalid number, ...
  'cleared',
]);
export type CallState = z.infer<typeof CallState>;

export const CallAction = z.enum([
  'answer',
  'decline',
  'hold',
  'retrieve',
  'hangup',
  'singleStepTransfer',
  'consult',
  'transfer',
  'conference',
  'alternate',
  'reconnect',
  'deflect',
  'digits',
]);
export type CallAction = z.infer<typeof CallAction>;

export const ActionAvailability = z.object({
  enabled: z.boolean(),
  /** Why the action is disabled (shown as the control's description); absent when enabled. */
  reason: z.string().optional(),
});
export type ActionAvailability = z.infer<typeof ActionAvailability>;

export const PartyView = z.object({
  number: z.string(),
  display: z.string().optional(),
  state: CallState,
  /** Names the party in desk.dropParty (opaque to the UI). */
  id: z.string().optional(),
  /** Whether this party can be dropped from the conference, and why not. */
  drop: ActionAvailability.optional(),
});
export type PartyView = z.infer<typeof PartyView>;

export const CallView = z.object({
  callId: z.string(),
  direction: z.enum(['inbound', 'outbound']),
  state: CallState,
  /** The other party (for a conference: the most recently added). */
  remote: z.object({ number: z.string(), display: z.string().optional() }),
  parties: z.array(PartyView),
  conference: z.boolean(),
  /** Set on a consultation call: the call held while consulting. */
  consultationOf: z.string().optional(),
  startedAt: z.number(),
  connectedAt: z.number().optional(),
  endedAt: z.number().optional(),
  /** Cause of the last state change, in CSTA words (normal, busy, transfer, ...). */
  cause: z.string().optional(),
  actions: z.record(CallAction, ActionAvailability),
  /** The line appearance the call is on (a LineAppearanceView id). */
  lineId: z.string().optional(),
  /** The other call that transfer, conference, swap and "back to" pair this one with (same line). */
  pairedWith: z.string().optional(),
  /** The user set up this conference (only its controller may drop parties). */
  controller: z.boolean().optional(),
  /** The user declined this ringing call (history records it as declined, not missed). */
  declined: z.boolean().optional(),
});
export type CallView = z.infer<typeof CallView>;

export const ForwardingType = z.enum(['forwardImmediate', 'forwardBusy', 'forwardNoAns']);
export type ForwardingType = z.infer<typeof ForwardingType>;

export const ForwardingView = z.object({
  type: ForwardingType,
  on: z.boolean(),
  to: z.string().optional(),
});
export type ForwardingView = z.infer<typeof ForwardingView>;

export const FeaturesView = z.object({
  forwarding: z.array(ForwardingView),
  doNotDisturb: z.boolean(),
});
export type FeaturesView = z.infer<typeof FeaturesView>;

// ---------------------------------------------------------------- CTI health

export const CtiNodeState = z.enum(['connecting', 'up', 'degraded', 'down', 'disabled']);
export type CtiNodeState = z.infer<typeof CtiNodeState>;

export const CtiNodeView = z.object({
  /** Priority order, 0 first. */
  index: z
    .number()
    .int()
    .min(0)
    .max(MAX_CTI_NODES - 1),
  address: z.string(),
  state: CtiNodeState,
  /** The CTI connection ID (application session ID); new after each reconnect. */
  connectionId: z.string().optional(),
  rttMs: z.number().optional(),
  /** Recent heartbeat round-trip times, oldest first (for a sparkline). */
  rttHistory: z.array(z.number()),
  /** Epoch ms of the current connection's start; absent while not up. */
  upSince: z.number().optional(),
  failures: z.number().int(),
  missedHeartbeats: z.number().int(),
  sessions: z.number().int(),
  lastError: z.string().optional(),
  /** Why a node that is up is `degraded` (missed heartbeats, or requests left unanswered). */
  degradedReason: z.string().optional(),
});
export type CtiNodeView = z.infer<typeof CtiNodeView>;

export const CtiHealthView = z.object({
  overall: z.enum(['up', 'degraded', 'down']),
  nodes: z.array(CtiNodeView),
});
export type CtiHealthView = z.infer<typeof CtiHealthView>;

// ---------------------------------------------------------------- the desk as a whole

export const DeskSessionState = z.enum(['noLine', 'starting', 'active', 'recovering', 'failed']);
export type DeskSessionState = z.infer<typeof DeskSessionState>;

/**
 * Why the user has no line to control at all (the UI's one "no access" screen):
 *   directoryNotLoaded    the phone system's user list has not arrived yet
 *   unknownUser           no such user in the directory
 *   notLicensed           no IM and Presence licence
 *   noLines               no line appearance on the devices the user may control
 *   ctiControlDisallowed  every one of the user's phones refuses control from a computer
 */
export const DeskAccessCode = z.enum([
  'directoryNotLoaded',
  'unknownUser',
  'notLicensed',
  'noLines',
  'ctiControlDisallowed',
]);
export type DeskAccessCode = z.infer<typeof DeskAccessCode>;

export const DeskAccessView = z.object({ code: DeskAccessCode, detail: z.string() });
export type DeskAccessView = z.infer<typeof DeskAccessView>;

export const DeskStateView = z.object({
  user: UserView.nullable(),
  lines: z.array(LineAppearanceView),
  selectedLineId: z.string().nullable(),
  session: z.object({ state: DeskSessionState, reason: z.string().optional() }),
  calls: z.array(CallView),
  features: FeaturesView,
  cti: CtiHealthView,
  /** Present when the user has no line that can be controlled, saying why. */
  access: DeskAccessView.optional(),
});
export type DeskStateView = z.infer<typeof DeskStateView>;

export const NumberView = z.object({
  input: z.string(),
  /** What will be dialled (digits, + for E.164), or empty when nothing usable. */
  dialString: z.string(),
  /** For display: grouped, with the rule that matched. */
  display: z.string(),
  valid: z.boolean(),
  rule: z.string().optional(),
  reason: z.string().optional(),
});
export type NumberView = z.infer<typeof NumberView>;

// ---------------------------------------------------------------- app-level (settings, history)

export const HistoryEntryView = z.object({
  id: z.string(),
  callId: z.string(),
  direction: z.enum(['inbound', 'outbound']),
  number: z.string(),
  display: z.string().optional(),
  startedAt: z.number(),
  durationMs: z.number(),
  outcome: z.enum(['answered', 'missed', 'failed', 'cancelled', 'declined']),
});
export type HistoryEntryView = z.infer<typeof HistoryEntryView>;

/** The missed-call badge, owned by the host (the tray and every window read the same). */
export const MissedCallsView = z.object({
  /** Epoch ms: missed calls that started at or before this have been seen. */
  seenAt: z.number(),
  /** Missed calls not seen yet. */
  unseen: z.number().int().min(0),
});
export type MissedCallsView = z.infer<typeof MissedCallsView>;

// ---------------------------------------------------------------- directory (names, search)

export const PersonNumberView = z.object({
  kind: z.enum(['work', 'mobile', 'line']),
  number: z.string(),
});
export type PersonNumberView = z.infer<typeof PersonNumberView>;

export const PersonView = z.object({
  name: z.string(),
  numbers: z.array(PersonNumberView),
});
export type PersonView = z.infer<typeof PersonView>;

export const DirectorySearchView = z.object({
  people: z.array(PersonView),
  /** More matched than were returned: type more. */
  truncated: z.boolean(),
});
export type DirectorySearchView = z.infer<typeof DirectorySearchView>;

// ---------------------------------------------------------------- troubleshooter (Health)

export const TroubleshootCheckView = z.object({
  /** Stable id of the check (`licence`, `ctiControl`, ...). */
  id: z.string(),
  status: z.enum(['ok', 'warning', 'fail', 'skipped']),
  /** What was checked, in plain words ("Your licence"). */
  title: z.string(),
  /** What was found, in plain words. */
  text: z.string(),
  /** The technical finding, for an administrator (device names, addresses). */
  detail: z.string(),
});
export type TroubleshootCheckView = z.infer<typeof TroubleshootCheckView>;

export const TroubleshootView = z.object({
  userId: z.string(),
  verdict: z.enum(['ok', 'problem']),
  /** One sentence: what is wrong and what to ask, or that all is well. */
  summary: z.string(),
  checks: z.array(TroubleshootCheckView),
  at: z.number(),
});
export type TroubleshootView = z.infer<typeof TroubleshootView>;

// ---------------------------------------------------------------- the host

export const HostInfoView = z.object({
  /** The Electron app, or the browser shell of the headless gateway. */
  kind: z.enum(['desktop', 'browserShell']),
  /** The settings this host applies (Settings shows only these). */
  settings: z.array(z.string()),
  /** Demo mode with the simulator: "Ring my phone" is offered. */
  demo: z.boolean(),
});
export type HostInfoView = z.infer<typeof HostInfoView>;

export const FavouriteView = z.object({ name: z.string().min(1).max(80), number: z.string().min(1).max(64) });
export type FavouriteView = z.infer<typeof FavouriteView>;

export const CtiAddress = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port');

/** Where the Administrator part of the settings comes from (docs/desktop.md "Settings: You and
 *  Administrator"). Hosts without an administrator file (the browser shell) leave it out. */
export const AdministratorView = z.object({
  /** The administrator file the app reads on this machine. */
  file: z.string(),
  /** absent: no file, the Administrator settings can be changed here; managed: set by the file
   *  and locked; invalid: the file has an error (`problem`), the settings are locked and the
   *  phone system is not used until it is fixed. */
  state: z.enum(['absent', 'managed', 'invalid']),
  /** The SettingsView fields that cannot be changed here. */
  locked: z.array(z.string()),
  problem: z.string().optional(),
});
export type AdministratorView = z.infer<typeof AdministratorView>;

export const SettingsView = z.object({
  /** Empty = the embedded CTI Manager simulator (demo cluster). */
  ctiAddresses: z.array(CtiAddress).max(8),
  applicationUser: z.string().max(128),
  /** True when a password is stored (the password itself never crosses IPC outwards). */
  hasPassword: z.boolean(),
  heartbeatIntervalSec: z.number().int().min(1).max(300),
  userId: z.string().max(128),
  favourites: z.array(FavouriteView).max(50),
  sipListenerEnabled: z.boolean(),
  startAtLogin: z.boolean(),
  theme: z.enum(['system', 'light', 'dark']),
  /** Shows Deskline from anywhere ('' = none). */
  globalShortcut: z.string().max(64),
  /** Dials the selected (else the copied) number from anywhere; '' or absent = none. */
  dialShortcut: z.string().max(64).optional(),
  /** Set by the desktop app: whether an administrator file manages part of these settings. */
  administrator: AdministratorView.optional(),
});
export type SettingsView = z.infer<typeof SettingsView>;

export const SettingsPatch = SettingsView.omit({ hasPassword: true, administrator: true })
  .partial()
  .extend({ password: z.string().max(256).optional() });
export type SettingsPatch = z.infer<typeof SettingsPatch>;

export const NoticeView = z.object({
  level: z.enum(['info', 'warning', 'error']),
  code: z.string().optional(),
  message: z.string(),
  at: z.number(),
});
export type NoticeView = z.infer<typeof NoticeView>;
