// correlatorData, userData, servicesPermitted, call/media characteristics and other optional
// ECMA-269 parameters Deskline does not use are not typed: they travel as `unknown` nodes
// (CorrelatorData, for one, is a structure in ECMA-323, `<correlatorData><string>…`).
// Every CSTA message Deskline speaks, one descriptor each (ECMA-269 semantics, ECMA-323 element
// names; ECMA-354 for application sessions). Field names were checked against the ECMA-285 ASN.1
// (ECMA-323 uses the ASN.1 component names as element names) and against public ECMA-323
// samples; see docs/csta-codec.md for sources and what remains unverified.
// Adding a message = adding a descriptor here (and its vector under gateway/test/vectors/csta/).
import {
  bool,
  device,
  deviceId,
  enumOf,
  features,
  flag,
  int,
  list,
  message,
  opt,
  openEnum,
  redirectionDevice,
  req,
  struct,
  tag,
  tagText,
  text,
  type MessageValue,
  type StructValue,
} from './dsl.js';

// ---- enumerations -----------------------------------------------------------------------------

/** ECMA-269 §12.2.17 LocalConnectionState. */
export const LOCAL_CONNECTION_STATES = [
  'null',
  'initiated',
  'alerting',
  'connected',
  'hold',
  'queued',
  'fail',
] as const;
export type LocalConnectionState = (typeof LOCAL_CONNECTION_STATES)[number];

/** ECMA-269 §12.2.13 EventCause. Open: unknown causes are kept as strings (clients invent them). */
export const EVENT_CAUSES = [
  'aCDBusy',
  'aCDForward',
  'aCDSaturated',
  'activeParticipation',
  'alertTimeExpired',
  'alternate',
  'autoWork',
  'blocked',
  'busy',
  'callBack',
  'callCancelled',
  'callForward',
  'callForwardBusy',
  'callForwardImmediate',
  'callForwardNoAnswer',
  'callNotAnswered',
  'callPickup',
  'campOn',
  'campOnTrunks',
  'characterCountReached',
  'conference',
  'consultation',
  'destDetected',
  'destNotObtainable',
  'destOutOfOrder',
  'distributed',
  'distributionDelay',
  'doNotDisturb',
  'dTMFDigitDetected',
  'durationExceeded',
  'endOfMessageDetected',
  'enteringDistribution',
  'forcedPause',
  'forcedTransition',
  'incompatibleDestination',
  'intrude',
  'invalidAccountCode',
  'invalidNumberFormat',
  'joinCall',
  'keyOperation',
  'keyOperationInUse',
  'lockout',
  'maintenance',
  'makeCall',
  'makePredictiveCall',
  'messageDurationExceeded',
  'messageSizeExceeded',
  'multipleAlerting',
  'multipleQueuing',
  'networkCongestion',
  'networkDialling',
  'networkNotObtainable',
  'networkOutOfOrder',
  'networkSignal',
  'newCall',
  'nextMessage',
  'noAvailableAgents',
  'normal',
  'normalClearing',
  'noSpeechDetected',
  'notAvailableBearerService',
  'notSupportedBearerService',
  'numberChanged',
  'numberUnallocated',
  'overflow',
  'override',
  'park',
  'queueCleared',
  'recall',
  'redirected',
  'remainsInQueue',
  'reorderTone',
  'reserved',
  'resourcesNotAvailable',
  'selectedTrunkBusy',
  'silentParticipation',
  'singleStepConference',
  'singleStepTransfer',
  'speechDetected',
  'suspend',
  'switchingFunctionTerminated',
  'terminationCharacterReceived',
  'timeout',
  'transfer',
  'trunksBusy',
  'unauthorisedBearerService',
  'unknownOverflow',
] as const;
export type KnownEventCause = (typeof EVENT_CAUSES)[number];

/** ECMA-269 §12.2.29 SystemStatus. */
export const SYSTEM_STATUSES = [
  'initializing',
  'enabled',
  'normal',
  'messagesLost',
  'disabled',
  'partiallyDisabled',
  'overloadImminent',
  'overloadReached',
  'overloadRelieved',
] as const;
export type SystemStatusValue = (typeof SYSTEM_STATUSES)[number];

/** ECMA-269 §12.2.15 ForwardingType. */
export const FORWARDING_TYPES = [
  'forwardImmediate',
  'forwardBusy',
  'forwardNoAns',
  'forwardBusyInt',
  'forwardBusyExt',
  'forwardNoAnsInt',
  'forwardNoAnsExt',
  'forwardImmInt',
  'forwardImmExt',
  'forwardDND',
  'forwardDNDInt',
  'forwardDNDExt',
] as const;
export type ForwardingType = (typeof FORWARDING_TYPES)[number];

/** ECMA-269 §12.2.1 AutoOriginate (MakeCall). */
export const AUTO_ORIGINATE = ['prompt', 'doNotPrompt'] as const;
/** ECMA-269 §17.1.7 ConsultOptions. */
export const CONSULT_OPTIONS = ['unrestricted', 'consultOnly', 'transferOnly', 'conferenceOnly'] as const;
/** ECMA-269 §12.2.20 MonitorType. */
export const MONITOR_TYPES = ['call', 'device'] as const;
/** ECMA-269 §12.3.7 DeviceCategory (open: switches add their own). */
export const DEVICE_CATEGORIES = [
  'acd',
  'group',
  'networkInterface',
  'park',
  'routeingDevice',
  'station',
  'voiceUnit',
  'other',
] as const;
/** ECMA-269 §12.2.26 SimpleCallState (SnapshotDevice), open. */
export const SIMPLE_CALL_STATES = [
  'callNull',
  'callPending',
  'callOriginated',
  'callDelivered',
  'callDeliveredHeld',
  'callReceived',
  'callEstablished',
  'callEstablishedHeld',
  'callReceivedOnHold',
  'callEstablishedOnHold',
  'callQueued',
  'callQueuedHeld',
  'callFailed',
  'callFailedHeld',
  'callBlocked',
] as const;

/** ECMA-269 §12.2.12 error classes: the element naming the class in CSTAErrorCode, spelt as the
 *  ECMA-323 ed3 (and ed6) schema spells them: `systemResourceAvailibility` (sic). `unspecified`
 *  is an empty element (value ''). See docs/csta-codec.md "Schema names". */
export const CSTA_ERROR_CLASSES = [
  'operation',
  'security',
  'stateIncompatibility',
  'systemResourceAvailibility',
  'subscribedResourceAvailability',
  'performanceManagement',
  'privateData',
  'privateErrorCode',
  'unspecified',
] as const;

/** Other spellings of error classes and values accepted on input (earlier CSTA phases, and what
 *  Deskline itself sent before it followed the schema), read as the schema's. */
const CSTA_ERROR_CLASS_ALIASES = { systemResourceAvailability: 'systemResourceAvailibility' } as const;
const CSTA_ERROR_VALUE_ALIASES = {
  operation: {
    privilegeViolationOnSpecifiedDevice: 'privilegeViolationSpecifiedDevice',
    invalidCalledDevice: 'invalidCalledDeviceID',
    invalidCallingDevice: 'invalidCallingDeviceID',
  },
  // SecurityErrors has no `unspecified`.
  security: { unspecified: 'generic' },
} as const;
export type CstaErrorClass = (typeof CSTA_ERROR_CLASSES)[number];

/** ECMA-354 defined errors of the Start/Stop/ResetApplicationSession…NegResponse, as its schema
 *  has them (open: servers add their own; other causes travel as `applError` text). */
export const APPLICATION_SESSION_ERRORS = [
  'invalidApplicationInfo',
  'requestedProtocolVersionNotSupported',
  'serverResourcesBusy',
  'maxNumberSessions',
  'invalidSessionID',
  'serverCannotResetSessionTimer',
] as const;
/** ECMA-354 StopApplicationSession defined end reasons (open: the schema has only `normal`; any
 *  other reason travels as `appEndReason` text). */
export const SESSION_END_REASONS = ['normal'] as const;

// ---- namespaces -------------------------------------------------------------------------------

export const CSTA_NAMESPACE_PREFIX = 'http://www.ecma-international.org/standards/ecma-323/csta/';
export const ECMA354_NAMESPACE = 'http://www.ecma-international.org/standards/ecma-354/appl_session';
export const LCS_NAMESPACE = 'http://schemas.microsoft.com/Lcs/2005/04/RCCExtension';
/** Deskline's private data (docs/cti-link.md §2). */
export const DESKLINE_NAMESPACE = 'urn:deskline:cti:1';
const DL = Object.freeze({ prefix: 'dl', uri: DESKLINE_NAMESPACE });

// ---- shared types (ECMA-269 §12) --------------------------------------------------------------

/** ECMA-269 §12.3.8 ConnectionID: `<x><callID>…</callID><deviceID>…</deviceID></x>`. */
export const connectionId = struct({ callID: opt(text()), deviceID: opt(deviceId()) });
export type ConnectionID = StructValue<typeof connectionId.fields>;

/** ECMA-269 §12.3.9 ConnectionList, as ECMA-323 writes it. */
const connectionListItem = struct({
  newConnection: opt(connectionId),
  oldConnection: opt(connectionId),
  endpoint: opt(struct({ deviceID: opt(deviceId()), notKnown: opt(flag()) })),
});
const connectionList = list('connectionListItem', connectionListItem);
export type ConnectionListItem = StructValue<typeof connectionListItem.fields>;

const localConnectionInfo = opt(enumOf(LOCAL_CONNECTION_STATES));
const cause = req(openEnum(EVENT_CAUSES));
const monitorCrossRefID = req(text());
const conn = req(connectionId);
const applicationSessionError = req(struct({ definedError: opt(openEnum(APPLICATION_SESSION_ERRORS)) }));
const empty = {} as const;

// ---- the table --------------------------------------------------------------------------------

export const DESCRIPTORS = [
  // -- system status and capability exchange (ECMA-269 §22, §21) --
  message(
    'RequestSystemStatus',
    'request',
    { sysStatRegisterID: opt(text()) },
    { response: 'RequestSystemStatusResponse' },
  ),
  message('RequestSystemStatusResponse', 'response', { systemStatus: req(enumOf(SYSTEM_STATUSES)) }),
  // systemStatus is mandatory in ECMA-269 §22.1.6, but OpenScape-style switches send an empty
  // <SystemStatus/> as a keep-alive: accept it.
  message(
    'SystemStatus',
    'request',
    { sysStatRegisterID: opt(text()), systemStatus: opt(enumOf(SYSTEM_STATUSES)) },
    { response: 'SystemStatusResponse' },
  ),
  message('SystemStatusResponse', 'response', empty),
  // ECMA-269 system status services, SystemRegister: an application asks to be told the switching function's
  // status (OpenScape Voice sends SystemStatus to registered applications). requestTypes is a bit
  // string in ECMA-285, one boolean element per bit in ECMA-323.
  message(
    'SystemRegister',
    'request',
    {
      requestTypes: opt(
        struct({
          systemStatus: opt(bool()),
          requestSystemStatus: opt(bool()),
          switchingFunctionCapsChanged: opt(bool()),
          switchingFunctionDevicesChanged: opt(bool()),
        }),
      ),
    },
    { response: 'SystemRegisterResponse' },
  ),
  message('SystemRegisterResponse', 'response', { sysStatRegisterID: req(text()) }),
  message('GetCSTAFeatures', 'request', empty, { response: 'GetCSTAFeaturesResponse' }),
  message('GetCSTAFeaturesResponse', 'response', {
    // `systemStatServList` is the ed3 schema's name; Deskline sent `systemServList` before.
    supportedServices: req(features({ systemServList: 'systemStatServList' })),
    supportedEvents: opt(features()),
  }),
  message(
    'GetSwitchingFunctionDevices',
    'request',
    { requestedDeviceID: opt(deviceId()), requestedDeviceCategory: opt(openEnum(DEVICE_CATEGORIES)) },
    { response: 'GetSwitchingFunctionDevicesResponse' },
  ),
  message('GetSwitchingFunctionDevicesResponse', 'response', { serviceCrossRefID: req(text()) }),
  message('SwitchingFunctionDevices', 'event', {
    serviceCrossRefID: req(text()),
    segmentID: req(int(0)),
    lastSegment: req(bool()),
    // ed3: deviceList/device; `deviceEntry` (what Deskline sent before) is accepted on input.
    deviceList: opt(
      list(
        'device',
        struct({ deviceID: req(deviceId()), deviceCategory: opt(openEnum(DEVICE_CATEGORIES)) }),
        {
          aliases: ['deviceEntry'],
        },
      ),
    ),
  }),

  // -- monitoring (ECMA-269 §15) --
  message(
    'MonitorStart',
    'request',
    {
      monitorObject: req(struct({ deviceObject: opt(deviceId()), callObject: opt(connectionId) })),
      monitorType: opt(enumOf(MONITOR_TYPES)),
    },
    { response: 'MonitorStartResponse' },
  ),
  message('MonitorStartResponse', 'response', { monitorCrossRefID }),
  message('MonitorStop', 'request', { monitorCrossRefID }, { response: 'MonitorStopResponse' }),
  message('MonitorStopResponse', 'response', empty),

  // -- snapshot (ECMA-269 §16.1.2) --
  message(
    'SnapshotDevice',
    'request',
    { snapshotObject: req(deviceId()) },
    { response: 'SnapshotDeviceResponse' },
  ),
  message('SnapshotDeviceResponse', 'response', {
    crossRefIDorSnapshotData: req(
      struct({
        serviceCrossRefID: opt(text()),
        snapshotData: opt(
          list(
            'snapshotDeviceResponseInfo',
            struct({
              connectionIdentifier: req(connectionId),
              endpointDevice: opt(device()),
              localCallState: opt(
                struct({
                  compoundCallState: opt(list('localConnectionState', enumOf(LOCAL_CONNECTION_STATES))),
                  simpleCallState: opt(openEnum(SIMPLE_CALL_STATES)),
                }),
              ),
            }),
          ),
        ),
      }),
    ),
  }),

  // -- call control services (ECMA-269 §17.1) --
  message(
    'AlternateCall',
    'request',
    { heldCall: conn, activeCall: conn },
    { response: 'AlternateCallResponse' },
  ),
  message('AlternateCallResponse', 'response', empty),
  message('AnswerCall', 'request', { callToBeAnswered: conn }, { response: 'AnswerCallResponse' }),
  message('AnswerCallResponse', 'response', empty),
  message('ClearCall', 'request', { callToBeCleared: conn }, { response: 'ClearCallResponse' }),
  message('ClearCallResponse', 'response', empty),
  message(
    'ClearConnection',
    'request',
    { connectionToBeCleared: conn, reason: opt(openEnum(EVENT_CAUSES)) },
    { response: 'ClearConnectionResponse' },
  ),
  message('ClearConnectionResponse', 'response', empty),
  message(
    'ConferenceCall',
    'request',
    { heldCall: conn, activeCall: conn },
    { response: 'ConferenceCallResponse' },
  ),
  message('ConferenceCallResponse', 'response', { conferenceCall: conn, connections: opt(connectionList) }),
  message(
    'ConsultationCall',
    'request',
    {
      existingCall: conn,
      consultedDevice: req(deviceId()),
      connectionReservation: opt(bool()),
      accountCode: opt(text()),
      authCode: opt(text()),
      consultOptions: opt(enumOf(CONSULT_OPTIONS)),
    },
    { response: 'ConsultationCallResponse' },
  ),
  message('ConsultationCallResponse', 'response', { initiatedCall: conn }),
  message(
    'DeflectCall',
    'request',
    { callToBeDiverted: conn, newDestination: req(deviceId()) },
    { response: 'DeflectCallResponse' },
  ),
  message('DeflectCallResponse', 'response', empty),
  message(
    'HoldCall',
    'request',
    { callToBeHeld: conn, reservation: opt(bool()) },
    { response: 'HoldCallResponse' },
  ),
  message('HoldCallResponse', 'response', empty),
  message(
    'MakeCall',
    'request',
    {
      callingDevice: req(deviceId()),
      calledDirectoryNumber: req(deviceId()),
      accountCode: opt(text()),
      authCode: opt(text()),
      autoOriginate: opt(enumOf(AUTO_ORIGINATE)),
    },
    { response: 'MakeCallResponse' },
  ),
  // calledDevice: not in ECMA-269's MakeCallResult, but gateways send it (Zultys MX, see
  // gateway/test/vectors/ms-rcc/README.md) and sipe tolerates it.
  message('MakeCallResponse', 'response', { callingDevice: conn, calledDevice: opt(deviceId()) }),
  message(
    'ReconnectCall',
    'request',
    { activeCall: conn, heldCall: conn },
    { response: 'ReconnectCallResponse' },
  ),
  message('ReconnectCallResponse', 'response', empty),
  message('RetrieveCall', 'request', { callToBeRetrieved: conn }, { response: 'RetrieveCallResponse' }),
  message('RetrieveCallResponse', 'response', empty),
  message(
    'SingleStepTransferCall',
    'request',
    {
      activeCall: conn,
      transferredTo: req(deviceId()),
      accountCode: opt(text()),
      authCode: opt(text()),
    },
    { response: 'SingleStepTransferCallResponse' },
  ),
  message('SingleStepTransferCallResponse', 'response', { transferredCall: conn }),
  message(
    'TransferCall',
    'request',
    { heldCall: conn, activeCall: conn },
    { response: 'TransferCallResponse' },
  ),
  message('TransferCallResponse', 'response', { transferredCall: conn, connections: opt(connectionList) }),

  // -- call associated (ECMA-269 §18) --
  message(
    'GenerateDigits',
    'request',
    {
      connectionToSendDigits: conn,
      charactersToSend: req(text()),
      toneDuration: opt(int(0)),
      pauseDuration: opt(int(0)),
    },
    { response: 'GenerateDigitsResponse' },
  ),
  message('GenerateDigitsResponse', 'response', empty),

  // -- logical device features (ECMA-269 §22) --
  message(
    'SetForwarding',
    'request',
    {
      device: req(deviceId()),
      forwardingType: opt(enumOf(FORWARDING_TYPES)),
      activateForward: req(bool()),
      forwardDN: opt(deviceId()),
      ringCount: opt(int(1, 100)),
    },
    { response: 'SetForwardingResponse' },
  ),
  message('SetForwardingResponse', 'response', empty),
  message('GetForwarding', 'request', { device: req(deviceId()) }, { response: 'GetForwardingResponse' }),
  message('GetForwardingResponse', 'response', {
    forwardingList: opt(
      list(
        'forwardListItem',
        struct({
          forwardingType: req(enumOf(FORWARDING_TYPES)),
          forwardStatus: req(bool()),
          forwardDN: opt(deviceId()),
          ringCount: opt(int(1, 100)),
        }),
      ),
    ),
  }),
  message(
    'SetDoNotDisturb',
    'request',
    { device: req(deviceId()), doNotDisturbOn: req(bool()) },
    { response: 'SetDoNotDisturbResponse' },
  ),
  message('SetDoNotDisturbResponse', 'response', empty),
  message('GetDoNotDisturb', 'request', { device: req(deviceId()) }, { response: 'GetDoNotDisturbResponse' }),
  message('GetDoNotDisturbResponse', 'response', { doNotDisturbOn: req(bool()) }),

  // -- call control events (ECMA-269 §17.2; all carry the monitor's cross reference first) --
  message('CallClearedEvent', 'event', { monitorCrossRefID, clearedCall: conn, cause }),
  message('ConferencedEvent', 'event', {
    monitorCrossRefID,
    primaryOldCall: conn,
    secondaryOldCall: opt(connectionId),
    conferencingDevice: req(device()),
    addedParty: req(device()),
    conferenceConnections: req(connectionList),
    localConnectionInfo,
    cause,
  }),
  message('ConnectionClearedEvent', 'event', {
    monitorCrossRefID,
    droppedConnection: conn,
    releasingDevice: req(device()),
    localConnectionInfo,
    cause,
  }),
  message('DeliveredEvent', 'event', {
    monitorCrossRefID,
    connection: conn,
    alertingDevice: req(device()),
    callingDevice: req(device()),
    calledDevice: req(device()),
    lastRedirectionDevice: req(redirectionDevice()),
    originatingNIDConnection: opt(connectionId),
    localConnectionInfo,
    cause,
  }),
  message('DivertedEvent', 'event', {
    monitorCrossRefID,
    connection: conn,
    divertingDevice: req(device()),
    newDestination: req(device()),
    callingDevice: opt(device()),
    calledDevice: opt(device()),
    lastRedirectionDevice: req(redirectionDevice()),
    localConnectionInfo,
    cause,
  }),
  message('EstablishedEvent', 'event', {
    monitorCrossRefID,
    establishedConnection: conn,
    answeringDevice: req(device()),
    callingDevice: req(device()),
    calledDevice: req(device()),
    lastRedirectionDevice: req(redirectionDevice()),
    // (sic) the ed3 and ed6 schemas spell it so in EstablishedEvent only.
    originatingNIDConnection: opt(connectionId, {
      element: 'originatinNIDConnection',
      aliases: ['originatingNIDConnection'],
    }),
    localConnectionInfo,
    cause,
  }),
  message('FailedEvent', 'event', {
    monitorCrossRefID,
    failedConnection: conn,
    failingDevice: req(device()),
    callingDevice: req(device()),
    calledDevice: req(device()),
    lastRedirectionDevice: req(redirectionDevice()),
    originatingNIDConnection: opt(connectionId),
    localConnectionInfo,
    cause,
  }),
  message('HeldEvent', 'event', {
    monitorCrossRefID,
    heldConnection: conn,
    holdingDevice: req(device()),
    localConnectionInfo,
    cause,
  }),
  message('OriginatedEvent', 'event', {
    monitorCrossRefID,
    originatedConnection: conn,
    callingDevice: req(device()),
    calledDevice: req(device()),
    originatingDevice: opt(deviceId()),
    localConnectionInfo,
    cause,
  }),
  message('RetrievedEvent', 'event', {
    monitorCrossRefID,
    retrievedConnection: conn,
    retrievingDevice: req(device()),
    localConnectionInfo,
    cause,
  }),
  message('ServiceInitiatedEvent', 'event', {
    monitorCrossRefID,
    initiatedConnection: conn,
    initiatingDevice: req(device()),
    localConnectionInfo,
    cause,
  }),
  // "Transfered" is CSTA's spelling (ECMA-269 §17.2.20).
  message('TransferedEvent', 'event', {
    monitorCrossRefID,
    primaryOldCall: conn,
    secondaryOldCall: opt(connectionId),
    transferringDevice: req(device()),
    transferredToDevice: req(device()),
    transferredConnections: req(connectionList),
    localConnectionInfo,
    cause,
  }),
  // -- call associated and logical device events (ECMA-269 §18.2, §22.2) --
  message('DigitsGeneratedEvent', 'event', {
    monitorCrossRefID,
    connection: conn,
    digitGeneratedList: req(text()),
    digitDurationList: opt(list('digitDuration', int(0))),
    pauseDurationList: opt(list('pauseDuration', int(0))),
  }),
  message('DoNotDisturbEvent', 'event', {
    monitorCrossRefID,
    device: req(device()),
    doNotDisturbOn: req(bool()),
  }),
  message('ForwardingEvent', 'event', {
    monitorCrossRefID,
    device: req(device()),
    forwardingType: opt(enumOf(FORWARDING_TYPES)),
    forwardStatus: req(bool()),
    forwardTo: opt(deviceId()),
    ringCount: opt(int(1, 100)),
  }),

  // -- negative acknowledgement (ECMA-269 §9.3, ECMA-323 §8.3): one child naming the class --
  message('CSTAErrorCode', 'response', {
    errorClass: req(
      tag(CSTA_ERROR_CLASSES, { aliases: CSTA_ERROR_CLASS_ALIASES, textAliases: CSTA_ERROR_VALUE_ALIASES }),
    ),
    value: req(tagText()),
  }),

  // -- application sessions (ECMA-354), on the CTI link (docs/cti-link.md §3) --
  message(
    'StartApplicationSession',
    'request',
    {
      applicationInfo: req(
        struct({
          applicationID: req(text()),
          applicationSpecificInfo: opt(
            struct({
              credentials: opt(
                struct({ userName: req(text()), password: req(text(), { secret: true }) }, { ns: DL }),
              ),
            }),
          ),
        }),
      ),
      requestedProtocolVersions: req(list('protocolVersion', text())),
      requestedSessionDuration: opt(int(0)),
    },
    { standard: 'ecma354', response: 'StartApplicationSessionPosResponse' },
  ),
  message(
    'StartApplicationSessionPosResponse',
    'response',
    {
      sessionID: req(text()),
      actualProtocolVersion: req(text()),
      actualSessionDuration: req(int(0)),
    },
    { standard: 'ecma354' },
  ),
  message(
    'StartApplicationSessionNegResponse',
    'response',
    { errorCode: applicationSessionError },
    { standard: 'ecma354' },
  ),
  message(
    'StopApplicationSession',
    'request',
    {
      sessionID: req(text()),
      sessionEndReason: req(
        struct({ definedEndReason: opt(openEnum(SESSION_END_REASONS)), appEndReason: opt(text()) }),
      ),
    },
    { standard: 'ecma354', response: 'StopApplicationSessionPosResponse' },
  ),
  message('StopApplicationSessionPosResponse', 'response', empty, { standard: 'ecma354' }),
  message(
    'StopApplicationSessionNegResponse',
    'response',
    { errorCode: applicationSessionError },
    { standard: 'ecma354' },
  ),
  message(
    'ResetApplicationSessionTimer',
    'request',
    {
      sessionID: req(text()),
      requestedSessionDuration: req(int(0)),
    },
    { standard: 'ecma354', response: 'ResetApplicationSessionTimerPosResponse' },
  ),
  message(
    'ResetApplicationSessionTimerPosResponse',
    'response',
    { actualSessionDuration: req(int(0)) },
    { standard: 'ecma354' },
  ),
  message(
    'ResetApplicationSessionTimerNegResponse',
    'response',
    { errorCode: applicationSessionError },
    { standard: 'ecma354' },
  ),
] as const;

type AnyDescriptor = (typeof DESCRIPTORS)[number];

/** Every CSTA message, discriminated by `type` = the root element's local name. */
export type CstaMessage = MessageValue<AnyDescriptor>;
export type CstaMessageType = CstaMessage['type'];
export type CstaMessageOf<T extends CstaMessageType> = Extract<CstaMessage, { type: T }>;

type TypesWithRole<R> = AnyDescriptor extends infer D
  ? D extends { type: infer T; role: R }
    ? T
    : never
  : never;
export type CstaRequestType = TypesWithRole<'request'>;
export type CstaResponseType = TypesWithRole<'response'>;
export type CstaEventType = TypesWithRole<'event'>;
export type CstaRequest = Extract<CstaMessage, { type: CstaRequestType }>;
export type CstaResponse = Extract<CstaMessage, { type: CstaResponseType }>;
export type CstaEvent = Extract<CstaMessage, { type: CstaEventType }>;
export type CstaErrorCode = CstaMessageOf<'CSTAErrorCode'>;

/** The positive response type of each request type. */
export type ResponseTypeOf<T extends CstaRequestType> = Exclude<
  Extract<AnyDescriptor, { type: T }>['response'],
  undefined
>;
