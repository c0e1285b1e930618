// Builders of the contract's view objects for main's tests: valid by construction (checked
// against the schemas in views.test.ts), overridable field by field.
import {
  CallAction,
  type ActionAvailability,
  type CallView,
  type CtiHealthView,
  type DeskStateView,
  type LineAppearanceView,
} from '../../../common/src/api/views.js';

export const T0 = Date.UTC(2026, 0, 1, 9);

/** Availability of every CallAction: `enabled` lists the enabled ones, the rest say why not. */
export function actions(...enabled: CallAction[]): Record<CallAction, ActionAvailability> {
  // Filled for every CallAction by the loop below.
  const out = {} as Record<CallAction, ActionAvailability>;
  for (const action of CallAction.options)
    out[action] = enabled.includes(action)
      ? { enabled: true }
      : { enabled: false, reason: `${action} not possible now` };
  return out;
}

export function call(overrides: Partial<CallView> & Pick<CallView, 'callId' | 'state'>): CallView {
  return {
    direction: 'outbound',
    remote: { number: '2002', display: 'Bob Baker' },
    parties: [],
    conference: false,
    startedAt: T0,
    actions: actions(),
    ...overrides,
  };
}

export function line(overrides: Partial<LineAppearanceView> = {}): LineAppearanceView {
  return {
    id: 'SEP00AABB000001:1001',
    deviceName: 'SEP00AABB000001',
    deviceModel: 'Cisco 8865',
    deviceDescription: 'Alice Archer - desk',
    dn: '1001',
    partition: 'INTERNAL',
    lineUri: 'tel:1001;phone-context=dialstring;partition=INTERNAL',
    label: 'Alice Archer',
    shared: false,
    sharedWith: [],
    controllable: true,
    ...overrides,
  };
}

export function health(overall: CtiHealthView['overall'] = 'up'): CtiHealthView {
  return { overall, nodes: [] };
}

export function desk(overrides: Partial<DeskStateView> = {}): DeskStateView {
  const lines = overrides.lines ?? [line()];
  return {
    user: { userId: 'alice', displayName: 'Alice Archer', licence: 'CUWL' },
    lines,
    selectedLineId: lines[0]?.id ?? null,
    session: { state: 'active' },
    calls: [],
    features: { forwarding: [], doNotDisturb: false },
    cti: health('up'),
    ...overrides,
  };
}
