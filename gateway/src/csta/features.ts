// What Deskline's call control offers, as GetCSTAFeaturesResponse lists it (ECMA-269 capability
// exchange). One list for both sides: the MS-RCC front answers its clients with it, and the
// simulator answers the gateway with it plus the services only a CTI link client uses.
//
// List and item names, and their order (the encoder keeps object order), are the ECMA-323 ed3
// schema's: `systemStatServList`, `logicalEvtsList` (docs/csta-codec.md, "Schema names").
import type { FeatureLists } from './dsl.js';

export const CALL_CONTROL_SERVICES: FeatureLists = Object.freeze({
  capExchangeServList: ['getCSTAFeatures'],
  systemStatServList: ['requestSystemStatus'],
  monitoringServList: ['monitorStart', 'monitorStop'],
  snapshotServList: ['snapshotDevice'],
  callControlServList: [
    'alternateCall',
    'answerCall',
    'clearCall',
    'clearConnection',
    'conferenceCall',
    'consultationCall',
    'deflectCall',
    'holdCall',
    'makeCall',
    'reconnectCall',
    'retrieveCall',
    'singleStepTransfer',
    'transferCall',
  ],
  callAssociatedServList: ['generateDigits'],
  logicalServList: ['getDoNotDisturb', 'getForwarding', 'setDoNotDisturb', 'setForwarding'],
});

export const CALL_CONTROL_EVENTS: FeatureLists = Object.freeze({
  callControlEvtsList: [
    'callCleared',
    'conferenced',
    'connectionCleared',
    'delivered',
    'diverted',
    'established',
    'failed',
    'held',
    'originated',
    'retrieved',
    'serviceInitiated',
    'transferred',
  ],
  callAssociatedEvtsList: ['digitsGenerated'],
  logicalEvtsList: ['doNotDisturb', 'forwarding'],
});
