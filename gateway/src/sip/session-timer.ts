// RFC 4028 session timers, UAS side: the negotiation as a pure function, and the instants at
// which the refresher refreshes (§7.4/§10: half the interval) and at which the other side
// gives up (§10: "the minimum of 32 seconds and one third of the session interval" before).
import { DEFAULT_SESSION_EXPIRES_S, MAX_SESSION_EXPIRES_S, MIN_SESSION_EXPIRES_S } from './constants.js';
import type { SessionExpires } from './headers/simple.js';

export interface SessionTimerPolicy {
  /** Our Min-SE: Session-Expires below it are refused with 422 (RFC 4028 §9; at least 90). */
  readonly minSeconds: number;
  /** The interval we pick when the UAC proposes none. */
  readonly defaultSeconds: number;
}

export const DEFAULT_SESSION_TIMER_POLICY: SessionTimerPolicy = {
  minSeconds: MIN_SESSION_EXPIRES_S,
  defaultSeconds: DEFAULT_SESSION_EXPIRES_S,
};

export interface SessionTimerRequest {
  /** "timer" in Supported or Require of the request. */
  readonly supportsTimer: boolean;
  readonly sessionExpires: SessionExpires | undefined;
  readonly minSE: number | undefined;
  /** The UAC lists UPDATE in Allow (needed if we must be the refresher: we refresh with UPDATE). */
  readonly allowsUpdate: boolean;
}

export type SessionTimerDecision =
  | { readonly kind: 'reject'; readonly minSE: number }
  | { readonly kind: 'none' }
  | {
      readonly kind: 'use';
      readonly interval: number;
      readonly refresher: 'uac' | 'uas';
      readonly requireTimer: boolean;
    };

export function negotiateSessionTimer(
  request: SessionTimerRequest,
  policy: SessionTimerPolicy = DEFAULT_SESSION_TIMER_POLICY,
): SessionTimerDecision {
  const floor = Math.max(policy.minSeconds, request.minSE ?? 0);
  const proposed = request.sessionExpires;
  if (proposed !== undefined && proposed.deltaSeconds < policy.minSeconds && request.supportsTimer) {
    // RFC 4028 §9: "the UAS MAY reject the INVITE request with a 422 ... if and only if the
    // session interval in the Session-Expires header field is smaller than the minimum
    // interval defined by the UAS' local policy. When sending the 422 response, the UAS MUST
    // include a Min-SE header field with the value of its minimum interval."
    return { kind: 'reject', minSE: policy.minSeconds };
  }
  // Without UAC support a 422 would not be understood: raise the interval instead (RFC 4028 §9).
  // Capped at MAX_SESSION_EXPIRES_S even over a larger Min-SE: the 2xx states the interval, and a
  // peer asking for more than a day is broken or hostile.
  const interval = Math.min(
    MAX_SESSION_EXPIRES_S,
    proposed !== undefined ? Math.max(proposed.deltaSeconds, floor) : Math.max(policy.defaultSeconds, floor),
  );
  if (request.supportsTimer) {
    // RFC 4028 §9: the UAS MUST set the refresher parameter in the 2xx; a value chosen by the
    // UAC is kept, otherwise we choose "uac" (Communicator and sipe refresh themselves).
    return { kind: 'use', interval, refresher: proposed?.refresher ?? 'uac', requireTimer: true };
  }
  // RFC 4028 §9: a UAC without timer support cannot be the refresher, so we would be ("uas");
  // we refresh with UPDATE (RFC 3311), which the UAC must allow.
  if (request.allowsUpdate) return { kind: 'use', interval, refresher: 'uas', requireTimer: false };
  return { kind: 'none' };
}

/** RFC 4028 §10: the non-refresher SHOULD send BYE "slightly before the session expiration": min(32 s, interval/3) before. */
export function expiryDelayMs(intervalSeconds: number): number {
  return (intervalSeconds - Math.min(32, intervalSeconds / 3)) * 1000;
}

/** RFC 4028 §10: the refresher refreshes at half the interval ("RECOMMENDED"). */
export function refreshDelayMs(intervalSeconds: number): number {
  return (intervalSeconds / 2) * 1000;
}

export function sessionExpiresHeader(interval: number, refresher: 'uac' | 'uas'): string {
  return `${interval};refresher=${refresher}`;
}
