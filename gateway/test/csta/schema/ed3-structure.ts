// The ECMA-323 3rd-edition structure of every CSTA message Deskline and its simulator emit, in a
// compact form of our own, for the validator in validate.ts (docs/csta-codec.md "Schema check").
//
// Why not the XSD itself: the official ECMA-323 schema files are not reachable from here. The
// structure was derived by reading public artefacts generated from, or mirroring, the schemas:
//  - xsd-generated (xsd.exe) C# classes of the ECMA-323 ed3 and ed6 schemas and of ECMA-354 in
//    the public repository emsonm/Ratcow.Csta (Ratcow.Csta.Ecma323/Ed3, Ed6; Ratcow.Csta.Ecma354):
//    element names, the order of every sequence, choices, enumerations, and which simple-typed
//    elements are optional;
//  - the ECMA-285 ASN.1 modules mirrored in Wildboar-Software/asn1-typescript-libraries
//    (packages/csta): which element-typed components are OPTIONAL (xsd.exe classes do not carry
//    minOccurs for element types; ECMA-323 follows ASN.1 optionality).
// Where the two disagree, the schema classes win (ECMA-323's names are not always ASN.1's:
// `monitorCrossRefID`, not `crossRefIdentifier`). Known oddities kept as the schema has them:
// `systemResourceAvailibility` (sic), `originatinNIDConnection` (sic, EstablishedEvent, ed3 and
// ed6), `hookswitchTypeOutOfRange`, `connectionReservoationOutOfRange`, `ringVolumnOutOfRange`.
// Not verifiable from the sources: SnapshotServList members are mandatory in the ASN.1 (no
// OPTIONAL) — taken as optional like every other feature list, since a switch lists only what it
// supports.
//
// Notation. A content model is a sequence of particles. A particle is 'name:Type' with an
// occurrence suffix on the name ('' once, '?' optional, '*' any number, '+' at least once), or
// a choice() of alternative sequences. Types: the built-ins below, an enumeration of ENUMS or a
// content model of TYPES. Elements the schema allows but Deskline never emits are typed
// 'undescribed': the validator accepts their name and position and reports them, so whoever
// starts emitting one must describe it here first.

/** Built-in simple types. */
export const BUILTINS = [
  /** character data (xs:string; DeviceID's simple content) */
  'text',
  /** xs:boolean */
  'boolean',
  /** xs:integer, xs:long, xs:short */
  'int',
  /** xs:hexBinary */
  'hexBinary',
  /** no content at all (ECMA-323's empty marker elements: notKnown, unspecified, ...) */
  'empty',
  /** a capability bit map (ECMA-323 …Caps types): optional boolean children */
  'caps',
  /** xs:any from another namespace (CSTAPrivateData's private, ECMA-354's application info) */
  'foreign',
  /** allowed here by the schema, but not described: reported by the validator */
  'undescribed',
] as const;
export type Builtin = (typeof BUILTINS)[number];

export type Occurrence = '' | '?' | '*' | '+';

export interface Choice {
  readonly alternatives: readonly (readonly Particle[])[];
  readonly occurrence: Occurrence;
}
export type Particle = string | Choice;
export type ContentModel = readonly Particle[];

/** xs:choice between sequences (each alternative a list of particles). */
export function choice(...alternatives: (readonly Particle[])[]): Choice {
  return { alternatives, occurrence: '' };
}

const words = (text: string): readonly string[] => text.trim().split(/\s+/);

export const ED3_NAMESPACE = 'http://www.ecma-international.org/standards/ecma-323/csta/ed3';
export const ECMA354_NAMESPACE = 'http://www.ecma-international.org/standards/ecma-354/appl_session';

// ---- enumerations (ECMA-323 ed3) ----------------------------------------------------------------

export const ENUMS: Readonly<Record<string, readonly string[]>> = {
  OperationErrors: words(`
generic atLeastOneConditionalParameterNotProvided featureAlreadySet invalidMsgID
invalidParameterValue invalidAccountCode invalidAgentGroup invalidAgentIdentifier
invalidAgentPassword invalidAgentState invalidAlertTime invalidAllocationState invalidAuthCode
invalidAutoAnswer invalidBitRate invalidButtonIdentifier invalidCallType invalidConnectionRate
invalidConsultPurpose invalidCorrelatorData invalidCrossRefID invalidDelayTolerance
invalidDestination invalidDestinationDetect invalidDoNotDisturb invalidEscapeCrossRefID
invalidFeature invalidFile invalidFlowDirection invalidForwardingDestination
invalidForwardingFlag invalidForwardingType invalidHookswitchType invalidHookswitchComponent
invalidLampMode invalidLampID invalidMessageWaitingSetting invalidMicrophoneGain
invalidMicrophoneMute invalidMonitorCrossRefID invalidMonitorFilter invalidMonitorObject
invalidMonitorType invalidNumberOFChannels invalidParticipationType invalidRemainRetry
invalidRingCount invalidRingPattern invalidRingVolume invalidRouteingAlgorithm
invalidRouteingCrossRefID invalidRouteRegistrationCrossRefID invalidSpeakerVolume
invalidSpeakerMute invalidSwitchingSubdomainCharsType invalidObjectType invalidActiveCallObject
invalidCalledDeviceObjectType invalidCallingDeviceObjectType invalidCallToBePickedUpObjectType
invalidCallToDivertObjectType invalidCallToParkObjectType invalidDestinationDeviceObject
invalidHeldCallObject invalidMonitorObjectType invalidParkToObjectType messageIDRequired
notDifferentDevices notSameDevice objectNotKnown invalidCallID invalidActiveCallID
invalidHeldCallID invalidConnectionID invalidActiveConnectionID invalidHeldConnectionID
invalidDeviceID invalidActiveDeviceID invalidCalledDeviceID invalidCallingDeviceID
invalidCallToParkDeviceID invalidDestinationDeviceID invalidDivertingDeviceID
invalidHeldDeviceID invalidParkToDeviceID invalidPickUpDeviceID parameterNotSupported
accountCodeNotSupported agentGroupNotSupported agentPasswordNotSupported agentStateNotSupported
alertTimeNotSupported allocationNotSupported authorisationCodeNotSupported
autoAnswerNotSupported bitRateNotSupported buttonNotSupported callTypeNotSupported
charactersToSendNotSupported connectionRateNotSupported connectionReservationNotSupported
consultPurposeNotSupported correlatorDataNotSupported delayToleranceNotSupported
destinationDetectNotSupported digitModeNotSupported errorValueNotSupported
flowDirectionNotSupported forwardingDestinationNotSupported lampNotSupported
monitorTypeNotSupported numberOfChannelsNotSupported parameterTypeNotSupported
priorityNotSupported privateDataNotSupported pulseDurationNotSupported pulseRateNotSupported
remainRetryNotSupported ringCountNotSupported routeUsedNotSupported securityNotSupported
swSubdomainCCIETypeNotSupported toneDurationNotSupported sysStatRegIDNotSupported
userDataNotSupported privilegeViolationSpecifiedDevice privilegeViolationActiveDevice
privilegeViolationCalledDevice privilegeViolationCallingDevice
privilegeViolationCallToParkDevice privilegeViolationDestinationDevice
privilegeViolationOnDivertingDevice privilegeViolationHeldDevice
privilegeViolationOnParkToDevice privilegeViolationPickUpDevice routeingTimerExpired
requestIncompatibleWithObject requestIncompatibleWithConnection
requestIncompatibleWithActiveConnection requestIncompatibleWithHeldConnection
requestIncompatibleWithDevice requestIncompatibleWithCalledDevice
requestIncompatibleWithCallingDevice requestIncompatibleWithSubjectDevice
requestIncompatibleWithActiveDevice requestIncompatibleWithCallToParkDevice
requestIncompatibleWithDestinationDevice requestIncompatibleWithDivertingDevice
requestIncompatibleWithHeldDevice requestIncompatibleWithMedia
requestIncompatibleWithParkToDevice requestIncompatibleWithPickupDevice serviceNotSupported
securityViolation valueOutOfRange agentStateOutOfRange alertTimeOutOfRange allocationOutOfRange
autoAnswerOutOfRange bitRateOutOfRange callTypeOutOfRange connectionRateOutOfRange
connectionReservoationOutOfRange consultPurposeOutOfRange correlatorDataOutOfRange
delayToleranceOutOfRange destinationDetectOutOfRange digitModeOutOfRange doNotDisturbOutOfRange
flowDirectionOutOfRange forwardingFlagOutOfRange forwardingTypeOutOfRange
hookswitchComponentOutOfRange hookswitchTypeOutOfRange lampModeOutOfRange
messageWaitingSettingOutOfRange micGainOutOfRange micMuteOutOfRange monitorTypeOutOfRange
numberOfChannelsOutOfRange participationTypeOutOfRange pulseDurationOutOfRange
pulseRateOutOfRange ringCountOutOfRange ringPatternOutOfRange ringVolumnOutOfRange
routeingAlgorithmOutOfRange speakerMuteOutOfRange speakerVolumeOutOfRange
switchingCcittTypeOutOfRange systemStatusOutOfRange toneCharacterOutOfRange
toneDurationOutOfRange`),
  SecurityErrors: words('generic sequenceNumberViolated timeStampViolated securityInfoViolated'),
  StateIncompatibilityErrors: words(`
generic invalidObjectState invalidDeviceState connectedCallExists invalidActiveDeviceState
invalidCalledDeviceState invalidCallingDeviceState invalidCallToParkDeviceState
invalidDestinationDeviceState invalidDivertingDeviceState invalidHeldDeviceState
invalidParkToDeviceState invalidConnectionState invalidActiveConnectionState
invalidConnectionIDForActiveCall invalidHeldConnectionState noActiveCall noCallToAnswer
noCallToClear noCallToComplete noConnectionToClear noHeldCall incorrectMsgState beginningOfMsg
endOfMsg msgSuspended notAbleToPlay notAbleToResume`),
  SystemResourceAvailabilityErrors: words(`
generic resourceBusy internalResourceBusy classifierBusy noMediaChannelsAvailable
channelsInUseForBridgedDevices channelsInUseForData toneDetectorBusy toneGeneratorBusy
networkBusy resourceOutOfService deviceOutOfService activeDeviceOutOfService
calledDeviceOutOfService callingDeviceOutOfService callToParkDeviceOutOfService
destinationDeviceOutOfService divertingDeviceOutOfService heldDeviceOutOfService
parkToDeviceOutOfService pickupDeviceOutOfService networkOutOfService otherResourceOutOfService
resourceLimitExceeded overallMonitorLimitExceeded conferenceMemberLimitExceeded
registrationLimitExceeded`),
  SubscribedResourceAvailabilityErrors: words(`
generic objectMonitorLimitExceeded trunkLimitExceeded outstandingReqLimitExceeded
objectRegistrationLimitExceeded`),
  PerformanceManagementErrors: words('generic performanceLimitExceeded'),
  PrivateDataInfoErrors: words('cSTAPrivateDataInfoError'),
  EventCause: words(`
aCDBusy aCDForward aCDSaturated activation activeParticipation alertTimeExpired alternate
autoWork babble badAttribute badGrammar badURI badVoice blocked busy busyOverflow
calendarOverflow callBack callCancelled callForward callForwardImmediate callForwardBusy
callForwardNoAnswer callNotAnswered callPickup campOn campOnTrunks capacityOverflow
characterCountReached conference consultation destDetected destNotObtainable destOutOfOrder
distributed distributionDelay doNotDisturb dTMFDigitDetected duplicateDTMF durationExceeded
earlyStop emptyQueue endOfMessageDetected enteringDistribution forcedPause forcedTransition
incompatibleDestination interdigitTimeout intrude invalidAccountCode invalidConnection
invalidConnectionState invalidNumberFormat joinCall keyOperation keyOperationInUse lockout
maintenance makeCall makePredictiveCall maxTimeout messageDurationExceeded messageSizeExceeded
multipleAlerting multipleQueuing networkCongestion networkDialling networkNotObtainable
networkOutOfOrder networkSignal newCall nextMessage noAvailableAgents normal normalClearing
noAudioSaved noQueue noRule noSpeechDetected notAvailableBearerService notSupportedBearerService
numberChanged numberUnallocated outOfGrammar overflow override park pathReplacement queueCleared
queueTimeOverflow recall recallBusy recallForwarded recallNoAnswer recallResourcesNotAvailable
redirected remainsInQueue reorderTone reserved resourcesNotAvailable selectedTrunkBusy
silentParticipation singleStepConference singleStepTransfer speechDetected suspend
switchingFunctionTerminated terminationCharacterReceived timeout transfer trunksBusy
unauthorisedBearerService unknownOverflow`),
  SystemStatus: words(`
disabled partiallyDisabled enabled initializing messagesLost normal overloadImminent
overloadReached overloadRelieved`),
  LocalConnectionState: words('null initiated alerting connected hold queued fail'),
  ForwardingType: words(`
forwardImmediate forwardBusy forwardNoAns forwardDND forwardBusyInt forwardBusyExt
forwardNoAnsInt forwardNoAnsExt forwardImmInt forwardImmExt forwardDNDInt forwardDNDExt`),
  ForwardDefault: words('forwardingTypeAndForwardDN forwardingType forwardDN'),
  AutoOriginate: words('prompt doNotPrompt'),
  ConsultOptions: words('unrestricted consultOnly transferOnly conferenceOnly'),
  MonitorType: words('call device'),
  DeviceCategory: words('acd group networkInterface park routeingDevice station voiceUnit other'),
  ReqDeviceCategory: words(`
acd groupACD groupHunt groupPick groupUser groupOther networkInterface park routeingDevice
station voiceUnit other`),
  NamedDeviceTypes: words(`
acd acdGroup button buttonGroup conferenceBridge line lineGroup operator operatorGroup
parkingDevice station stationGroup trunk trunkGroup other otherGroup`),
  SimpleCallState: words(`
callNull callPending callOriginated callDelivered callDeliveredHeld callReceived callEstablished
callEstablishedHeld callReceivedOnHold callEstablishedOnHold callQueued callQueuedHeld
callFailed callFailedHeld callBlocked`),
  DigitMode: words('rotaryPulse dTMF'),
  // ECMA-354 (application sessions), as its schema has them.
  StartApplicationSessionDefinedError: words(
    'invalidApplicationInfo requestedProtocolVersionNotSupported serverResourcesBusy maxNumberSessions',
  ),
  ResetApplicationSessionTimerDefinedError: words('invalidSessionID serverCannotResetSessionTimer'),
  StopApplicationSessionDefinedError: words('invalidSessionID'),
  DefinedEndReason: words('normal'),
};

// ---- types shared by several messages (ECMA-323 ed3) --------------------------------------------

const EXT = 'extensions?:CSTACommonArguments';

export const TYPES: Readonly<Record<string, ContentModel>> = {
  /** SystemRegister's requestTypes: ECMA-285's bit string, one boolean element per bit (the two
   *  first as OpenScape Voice traffic shows them; the last two by the ASN.1 bit names). */
  RequestTypes: [
    'systemStatus?:boolean',
    'requestSystemStatus?:boolean',
    'switchingFunctionCapsChanged?:boolean',
    'switchingFunctionDevicesChanged?:boolean',
  ],
  /** ECMA-269 §12.3.8 ConnectionID: a call, a device, or both (callID first). */
  ConnectionID: [choice(['callID:text', 'deviceID?:text'], ['deviceID:text'])],
  SubjectDeviceID: [choice(['deviceIdentifier:text'], ['notKnown:empty'], ['restricted:empty'])],
  CallingDeviceID: [choice(['deviceIdentifier:text'], ['notKnown:empty'], ['restricted:empty'])],
  CalledDeviceID: [choice(['deviceIdentifier:text'], ['notKnown:empty'], ['restricted:empty'])],
  RedirectionDeviceID: [
    choice(
      ['numberDialed:text'],
      ['notKnown:empty'],
      ['notRequired:empty'],
      ['notSpecified:empty'],
      ['restricted:empty'],
    ),
  ],
  ConnectionList: ['connectionListItem*:ConnectionListItem'],
  ConnectionListItem: [
    'newConnection?:ConnectionID',
    'oldConnection?:ConnectionID',
    'endpoint?:ConnectionListEndpoint',
    'associatedNID?:undescribed',
    'resultingConnectionInfo?:undescribed',
  ],
  ConnectionListEndpoint: [choice(['deviceID:text'], ['notKnown:empty'], ['restricted:empty'])],
  /** CSTACommonArguments: the `extensions` of every message. */
  CSTACommonArguments: ['security?:undescribed', 'privateData?:CSTAPrivateData'],
  CSTAPrivateData: [choice(['string:undescribed'], ['private:foreign'])],
  MonitorObject: [choice(['deviceObject:text'], ['callObject:ConnectionID'])],
  DeviceList: ['device*:DeviceListEntry'],
  DeviceListEntry: [
    'deviceID:text',
    'deviceCategory?:DeviceCategory',
    'namedDeviceTypes?:NamedDeviceTypes',
    'deviceAttributes?:undescribed',
    'deviceModelName?:text',
    'nidGroup?:text',
  ],
  SnapshotDeviceResult: [choice(['serviceCrossRefID:text'], ['snapshotData:SnapshotDeviceData'])],
  SnapshotDeviceData: ['snapshotDeviceResponseInfo*:SnapshotDeviceResponseInfo'],
  SnapshotDeviceResponseInfo: [
    'connectionIdentifier:ConnectionID',
    'endpointDevice?:SubjectDeviceID',
    'localCallState:CallState',
    'servicesPermitted?:undescribed',
    'mediaServiceInfoList?:undescribed',
    'mediaCallCharacteristics?:undescribed',
  ],
  CallState: [
    choice(['compoundCallState:CompoundCallState'], ['simpleCallState:SimpleCallState'], ['unknown:empty']),
  ],
  CompoundCallState: ['localConnectionState*:LocalConnectionState'],
  ForwardList: ['forwardListItem*:ForwardListItem'],
  ForwardListItem: [
    'forwardingType?:ForwardingType',
    'forwardStatus:boolean',
    'forwardDN?:text',
    'forwardDefault?:ForwardDefault',
    'ringCount?:int',
  ],
  CallingDeviceList: ['callingDevice*:text'],
  DurationList: ['digitDuration*:int'],
  PauseDurationList: ['pauseDuration*:int'],

  // GetCSTAFeaturesResponse: each list is a sequence of optional capability elements, in this order.
  SupportedServices: [
    'capExchangeServList?:CapExchangeServList',
    'systemStatServList?:SystemStatusServList',
    'monitoringServList?:MonitoringServList',
    'snapshotServList?:SnapshotServList',
    'callControlServList?:CallControlServList',
    'callAssociatedServList?:CallAssociatedServList',
    'mediaServList?:undescribed',
    'routeingServList?:undescribed',
    'physDevServList?:undescribed',
    'logicalServList?:LogicalServList',
    'iOServicesServList?:undescribed',
    'dataCollectionServList?:undescribed',
    'voiceServList?:undescribed',
    'cDRServList?:undescribed',
    'vendorSpecificServList?:undescribed',
  ],
  SupportedEvents: [
    'callControlEvtsList?:CallControlEvtsList',
    'callAssociatedEvtsList?:CallAssociatedEvtsList',
    'mediaEvtsList?:undescribed',
    'physDevEvtsList?:undescribed',
    'logicalEvtsList?:LogicalEvtsList',
    'deviceMaintEvtsList?:undescribed',
    'voiceEvtsList?:undescribed',
    'vendorSpecificEvtsList?:undescribed',
  ],
  CapExchangeServList: caps(`getCSTAFeatures getLogicalDeviceInformation getPhysicalDeviceInformation
    getSwitchingFunctionCaps getSwitchingFunctionDevices switchingFunctionDevices`),
  SystemStatusServList: caps(`changeSystemStatusFilter systemRegister systemStatusRegisterAbort
    systemStatusRegisterCancel requestSystemStatus systemStatus swFunctionCapsChanged
    swFunctionDevicesChanged`),
  MonitoringServList: caps('changeMonitorFilter monitorStart monitorStop'),
  SnapshotServList: caps('snapshotCall snapshotDevice snapshotCallData snapshotDeviceData'),
  CallControlServList: caps(`acceptCall alternateCall answerCall callBack callBackMessage campOnCall
    clearCall clearConnection conferenceCall consultationCall deflectCall dialDigits
    directedPickupCall groupPickupCall holdCall intrudeCall joinCall makeCall makePredictiveCall
    parkCall reconnectCall retrieveCall sendMessage singleStepConference singleStepTransfer
    transferCall`),
  CallAssociatedServList: caps(`associateData cancelTelephonyTones changeConnectionInformation
    generateDigits generateTelephonyTones sendUserInformation`),
  LogicalServList: caps(`callBackNonCallRel callBackMsgNonCallRel cancelCallBack cancelCallBackMsg
    getAgentState getAutoAnswer getAutoWorkMode getCallerIDStatus getDoNotDisturb getForwarding
    getLastNumberDialed getRouteingMode setAgentState setAutoAnswer setAutoWorkMode
    setCallerIDStatus setDoNotDisturb setForwarding setRouteingMode`),
  CallControlEvtsList: caps(`bridged callCleared conferenced connectionCleared delivered digitsDialed
    diverted established failed held netwCapsChanged netwReached offered originated queued
    retrieved serviceInitiated transferred`),
  CallAssociatedEvtsList: caps(`callInformation charging digitsGenerated telephonyTonesGenerated
    serviceCompletionFailure`),
  LogicalEvtsList: caps(`agentBusy agentLoggedOff agentLoggedOn agentNotReady agentReady
    agentWorkingAfterCall autoAnswer autoWorkMode callBack callBackMessage callerIDStatus
    doNotDisturb forwarding routeingMode`),

  // ECMA-354 parts.
  ApplicationInfo: ['applicationID:text', 'applicationSpecificInfo?:foreign'],
  ProtocolVersions: ['protocolVersion+:text'],
  StartApplicationSessionErrorCode: [
    choice(['definedError:StartApplicationSessionDefinedError'], ['applError:text']),
  ],
  ResetApplicationSessionTimerErrorCode: [
    choice(['definedError:ResetApplicationSessionTimerDefinedError'], ['applError:text']),
  ],
  StopApplicationSessionErrorCode: [
    choice(['definedError:StopApplicationSessionDefinedError'], ['applError:text']),
  ],
  SessionEndReason: [choice(['definedEndReason:DefinedEndReason'], ['appEndReason:text'])],
};

/** A feature list: every capability optional, in the schema's order. */
function caps(names: string): ContentModel {
  return words(names).map((name) => `${name}?:caps`);
}

// ---- the messages -----------------------------------------------------------------------------

/** Event fields every call control event has in the same places (after its own first fields). */
const UNDESCRIBED = (names: string): string[] => words(names).map((name) => `${name}?:undescribed`);

export const ED3_MESSAGES: Readonly<Record<string, ContentModel>> = {
  // -- system status and capability exchange --
  RequestSystemStatus: ['sysStatRegisterID?:text', EXT],
  RequestSystemStatusResponse: ['systemStatus:SystemStatus', EXT],
  SystemStatus: ['sysStatRegisterID?:text', 'systemStatus:SystemStatus', EXT],
  SystemStatusResponse: [EXT],
  SystemRegister: ['requestTypes?:RequestTypes', EXT],
  SystemRegisterResponse: ['sysStatRegisterID:text', EXT],
  GetCSTAFeatures: [EXT],
  GetCSTAFeaturesResponse: ['supportedServices:SupportedServices', 'supportedEvents?:SupportedEvents', EXT],
  GetSwitchingFunctionDevices: ['requestedDeviceID?:text', 'requestedDeviceCategory?:ReqDeviceCategory', EXT],
  GetSwitchingFunctionDevicesResponse: ['serviceCrossRefID:text', EXT],
  SwitchingFunctionDevices: [
    'serviceCrossRefID:text',
    'segmentID?:int',
    'lastSegment:boolean',
    'deviceList:DeviceList',
    EXT,
  ],

  // -- monitoring and snapshot --
  MonitorStart: [
    'monitorObject:MonitorObject',
    'requestedMonitorFilter?:undescribed',
    'monitorType?:MonitorType',
    'requestedMonitorMediaClass?:undescribed',
    EXT,
  ],
  MonitorStartResponse: [
    'monitorCrossRefID:text',
    'actualMonitorFilter?:undescribed',
    'actualMonitorMediaClass?:undescribed',
    'monitorExistingCalls?:boolean',
    EXT,
  ],
  MonitorStop: ['monitorCrossRefID:text', EXT],
  MonitorStopResponse: [EXT],
  SnapshotDevice: ['snapshotObject:text', EXT],
  SnapshotDeviceResponse: ['crossRefIDorSnapshotData:SnapshotDeviceResult', EXT],

  // -- call control services --
  AlternateCall: [
    'heldCall:ConnectionID',
    'activeCall:ConnectionID',
    'connectionReservation?:boolean',
    'consultOptions?:ConsultOptions',
    EXT,
  ],
  AlternateCallResponse: [EXT],
  AnswerCall: ['callToBeAnswered:ConnectionID', ...UNDESCRIBED('correlatorData userData'), EXT],
  AnswerCallResponse: [EXT],
  ClearCall: ['callToBeCleared:ConnectionID', 'userData?:undescribed', EXT],
  ClearCallResponse: [EXT],
  ClearConnection: [
    'connectionToBeCleared:ConnectionID',
    ...UNDESCRIBED('correlatorData userData'),
    'reason?:EventCause',
    EXT,
  ],
  ClearConnectionResponse: [EXT],
  ConferenceCall: ['heldCall:ConnectionID', 'activeCall:ConnectionID', EXT],
  ConferenceCallResponse: [
    'conferenceCall:ConnectionID',
    'connections?:ConnectionList',
    'conferenceCallInfo?:undescribed',
    EXT,
  ],
  ConsultationCall: [
    'existingCall:ConnectionID',
    'consultedDevice:text',
    'connectionReservation?:boolean',
    'accountCode?:hexBinary',
    'authCode?:hexBinary',
    ...UNDESCRIBED(
      'correlatorData userData callCharacteristics mediaCallCharacteristics callingConnectionInfo',
    ),
    'consultOptions?:ConsultOptions',
    ...UNDESCRIBED('subjectOfCall languagePreferences'),
    EXT,
  ],
  ConsultationCallResponse: [
    'initiatedCall:ConnectionID',
    ...UNDESCRIBED('mediaCallCharacteristics initiatedCallInfo'),
    EXT,
  ],
  DeflectCall: [
    'callToBeDiverted:ConnectionID',
    'newDestination:text',
    ...UNDESCRIBED('correlatorData userData subjectOfCall languagePreferences'),
    'reason?:EventCause',
    EXT,
  ],
  DeflectCallResponse: [EXT],
  HoldCall: ['callToBeHeld:ConnectionID', 'connectionReservation?:boolean', EXT],
  HoldCallResponse: [EXT],
  MakeCall: [
    'callingDevice:text',
    'calledDirectoryNumber:text',
    'accountCode?:hexBinary',
    'authCode?:hexBinary',
    'autoOriginate?:AutoOriginate',
    ...UNDESCRIBED(`correlatorData userData callCharacteristics mediaCallCharacteristics
      callingConnectionInfo subjectOfCall languagePreferences`),
    EXT,
  ],
  MakeCallResponse: [
    'callingDevice:ConnectionID',
    ...UNDESCRIBED('mediaCallCharacteristics initiatedCallInfo'),
    EXT,
  ],
  ReconnectCall: ['activeCall:ConnectionID', 'heldCall:ConnectionID', EXT],
  ReconnectCallResponse: [EXT],
  RetrieveCall: ['callToBeRetrieved:ConnectionID', EXT],
  RetrieveCallResponse: [EXT],
  SingleStepTransferCall: [
    'activeCall:ConnectionID',
    'transferredTo:text',
    'accountCode?:hexBinary',
    'authCode?:hexBinary',
    ...UNDESCRIBED('correlatorData userData subjectOfCall languagePreferences'),
    'reason?:EventCause',
    EXT,
  ],
  SingleStepTransferCallResponse: [
    'transferredCall:ConnectionID',
    'connections?:ConnectionList',
    'transferredCallInfo?:undescribed',
    EXT,
  ],
  TransferCall: ['heldCall:ConnectionID', 'activeCall:ConnectionID', EXT],
  TransferCallResponse: [
    'transferredCall:ConnectionID',
    'connections?:ConnectionList',
    'transferredCallInfo?:undescribed',
    EXT,
  ],

  // -- call associated and logical device features --
  GenerateDigits: [
    'connectionToSendDigits:ConnectionID',
    'digitMode?:DigitMode',
    'charactersToSend:text',
    'toneDuration?:int',
    'pulseRate?:int',
    'pauseDuration?:int',
    EXT,
  ],
  GenerateDigitsResponse: [EXT],
  SetForwarding: [
    'device:text',
    'forwardingType?:ForwardingType',
    'activateForward:boolean',
    'forwardDN?:text',
    'ringCount?:int',
    EXT,
  ],
  SetForwardingResponse: [EXT],
  GetForwarding: ['device:text', EXT],
  GetForwardingResponse: ['forwardingList:ForwardList', EXT],
  SetDoNotDisturb: [
    'device:text',
    'doNotDisturbOn:boolean',
    'callOrigination?:undescribed',
    'callingDeviceList?:CallingDeviceList',
    EXT,
  ],
  SetDoNotDisturbResponse: [EXT],
  GetDoNotDisturb: ['device:text', EXT],
  GetDoNotDisturbResponse: [
    'doNotDisturbOn:boolean',
    'callOrigination?:undescribed',
    'callingDeviceList?:CallingDeviceList',
    EXT,
  ],

  // -- call control events: the monitor's cross reference first, then ECMA-269's fields --
  CallClearedEvent: [
    'monitorCrossRefID:text',
    'clearedCall:ConnectionID',
    ...UNDESCRIBED('correlatorData userData'),
    'cause:EventCause',
    ...UNDESCRIBED('mediaCallCharacteristics callCharacteristics callLinkageData languagePreferences'),
    EXT,
  ],
  ConferencedEvent: [
    'monitorCrossRefID:text',
    'primaryOldCall:ConnectionID',
    'secondaryOldCall?:ConnectionID',
    'conferencingDevice:SubjectDeviceID',
    'addedParty:SubjectDeviceID',
    'conferenceConnections:ConnectionList',
    'localConnectionInfo?:LocalConnectionState',
    ...UNDESCRIBED('correlatorData userData'),
    'cause:EventCause',
    ...UNDESCRIBED(`servicesPermitted mediaCallCharacteristics callCharacteristics
      callLinkageDataList languagePreferences`),
    'deviceHistory*:undescribed',
    EXT,
  ],
  ConnectionClearedEvent: [
    'monitorCrossRefID:text',
    'droppedConnection:ConnectionID',
    'releasingDevice:SubjectDeviceID',
    'localConnectionInfo?:LocalConnectionState',
    ...UNDESCRIBED('correlatorData userData chargingInfo'),
    'cause:EventCause',
    ...UNDESCRIBED(`servicesPermitted mediaCallCharacteristics callCharacteristics
      droppedConnectionInfo callLinkageData languagePreferences`),
    'deviceHistory*:undescribed',
    EXT,
  ],
  DeliveredEvent: [
    'monitorCrossRefID:text',
    'connection:ConnectionID',
    'alertingDevice:SubjectDeviceID',
    'callingDevice:CallingDeviceID',
    'calledDevice:CalledDeviceID',
    'lastRedirectionDevice:RedirectionDeviceID',
    'originatingNIDConnection?:ConnectionID',
    'localConnectionInfo?:LocalConnectionState',
    ...UNDESCRIBED('correlatorData userData'),
    'cause:EventCause',
    ...UNDESCRIBED(`servicesPermitted networkCallingDevice networkCalledDevice
      associatedCallingDevice associatedCalledDevice mediaCallCharacteristics callCharacteristics
      connectionInfo callLinkageData subjectOfCall messageInfo languagePreferences`),
    'deviceHistory*:undescribed',
    EXT,
  ],
  DivertedEvent: [
    'monitorCrossRefID:text',
    'connection:ConnectionID',
    'divertingDevice:SubjectDeviceID',
    'newDestination:SubjectDeviceID',
    'callingDevice?:CallingDeviceID',
    'calledDevice?:CalledDeviceID',
    'lastRedirectionDevice:RedirectionDeviceID',
    'localConnectionInfo?:LocalConnectionState',
    ...UNDESCRIBED('correlatorData userData'),
    'cause:EventCause',
    ...UNDESCRIBED(`servicesPermitted mediaCallCharacteristics callCharacteristics connectionInfo
      networkCallingDevice networkCalledDevice associatedCallingDevice associatedCalledDevice
      callLinkageData subjectOfCall messageInfo languagePreferences`),
    'deviceHistory*:undescribed',
    EXT,
  ],
  EstablishedEvent: [
    'monitorCrossRefID:text',
    'establishedConnection:ConnectionID',
    'answeringDevice:SubjectDeviceID',
    'callingDevice:CallingDeviceID',
    'calledDevice:CalledDeviceID',
    'lastRedirectionDevice:RedirectionDeviceID',
    // (sic) in the ed3 and ed6 schemas; DeliveredEvent and FailedEvent spell it out.
    'originatinNIDConnection?:ConnectionID',
    'localConnectionInfo?:LocalConnectionState',
    ...UNDESCRIBED('correlatorData userData'),
    'cause:EventCause',
    ...UNDESCRIBED(`servicesPermitted networkCallingDevice networkCalledDevice
      associatedCallingDevice associatedCalledDevice mediaCallCharacteristics callCharacteristics
      establishedConnectionInfo callLinkageData subjectOfCall messageInfo languagePreferences`),
    'deviceHistory*:undescribed',
    EXT,
  ],
  FailedEvent: [
    'monitorCrossRefID:text',
    'failedConnection:ConnectionID',
    'failingDevice:SubjectDeviceID',
    'callingDevice:CallingDeviceID',
    'calledDevice:CalledDeviceID',
    'lastRedirectionDevice:RedirectionDeviceID',
    'originatingNIDConnection?:ConnectionID',
    'localConnectionInfo?:LocalConnectionState',
    ...UNDESCRIBED('correlatorData userData'),
    'cause:EventCause',
    ...UNDESCRIBED(`servicesPermitted networkCallingDevice networkCalledDevice
      associatedCallingDevice associatedCalledDevice mediaCallCharacteristics callCharacteristics
      failedConnectionInfo callLinkageData subjectOfCall messageInfo languagePreferences`),
    'deviceHistory*:undescribed',
    EXT,
  ],
  HeldEvent: [
    'monitorCrossRefID:text',
    'heldConnection:ConnectionID',
    'holdingDevice:SubjectDeviceID',
    'localConnectionInfo?:LocalConnectionState',
    'correlatorData?:undescribed',
    'cause:EventCause',
    ...UNDESCRIBED(`servicesPermitted mediaCallCharacteristics callCharacteristics
      heldConnectionInfo callLinkageData languagePreferences`),
    EXT,
  ],
  OriginatedEvent: [
    'monitorCrossRefID:text',
    'originatedConnection:ConnectionID',
    'callingDevice:SubjectDeviceID',
    'calledDevice:CalledDeviceID',
    'originatingDevice?:text',
    'localConnectionInfo?:LocalConnectionState',
    'correlatorData?:undescribed',
    'cause:EventCause',
    ...UNDESCRIBED(`servicesPermitted networkCallingDevice networkCalledDevice
      associatedCallingDevice associatedCalledDevice mediaCallCharacteristics callCharacteristics
      originatedConnectionInfo callLinkageData subjectOfCall messageInfo languagePreferences`),
    EXT,
  ],
  RetrievedEvent: [
    'monitorCrossRefID:text',
    'retrievedConnection:ConnectionID',
    'retrievingDevice:SubjectDeviceID',
    'localConnectionInfo?:LocalConnectionState',
    'correlatorData?:undescribed',
    'cause:EventCause',
    ...UNDESCRIBED(`servicesPermitted mediaCallCharacteristics callCharacteristics
      retrievedConnectionInfo callLinkageData languagePreferences`),
    EXT,
  ],
  ServiceInitiatedEvent: [
    'monitorCrossRefID:text',
    'initiatedConnection:ConnectionID',
    'initiatingDevice:SubjectDeviceID',
    'localConnectionInfo?:LocalConnectionState',
    'correlatorData?:undescribed',
    'cause:EventCause',
    ...UNDESCRIBED(`servicesPermitted mediaCallCharacteristics callCharacteristics
      initiatedConnectionInfo networkCallingDevice networkCalledDevice associatedCallingDevice
      callLinkageData subjectOfCall messageInfo languagePreferences`),
    EXT,
  ],
  TransferedEvent: [
    'monitorCrossRefID:text',
    'primaryOldCall:ConnectionID',
    'secondaryOldCall?:ConnectionID',
    'transferringDevice:SubjectDeviceID',
    'transferredToDevice:SubjectDeviceID',
    'transferredConnections:ConnectionList',
    'localConnectionInfo?:LocalConnectionState',
    ...UNDESCRIBED('correlatorData userData chargingInfo'),
    'cause:EventCause',
    ...UNDESCRIBED(`servicesPermitted mediaCallCharacteristics callCharacteristics
      callLinkageDataList languagePreferences`),
    'deviceHistory*:undescribed',
    EXT,
  ],
  DigitsGeneratedEvent: [
    'monitorCrossRefID:text',
    'connection:ConnectionID',
    'digitGeneratedList:text',
    'digitDurationList?:DurationList',
    'pauseDurationList?:PauseDurationList',
    'connectionInfo?:undescribed',
    EXT,
  ],
  DoNotDisturbEvent: [
    'monitorCrossRefID:text',
    'device:SubjectDeviceID',
    'doNotDisturbOn:boolean',
    'callOrigination?:undescribed',
    'callingDeviceList?:CallingDeviceList',
    EXT,
  ],
  ForwardingEvent: [
    'monitorCrossRefID:text',
    'device:SubjectDeviceID',
    'forwardingType?:ForwardingType',
    'forwardStatus:boolean',
    'forwardTo?:text',
    'forwardDefault?:ForwardDefault',
    'ringCount?:int',
    EXT,
  ],

  // -- negative acknowledgement (the schema's UniversalFailure, root element CSTAErrorCode) --
  CSTAErrorCode: [
    choice(
      ['operation:OperationErrors'],
      ['security:SecurityErrors'],
      ['stateIncompatibility:StateIncompatibilityErrors'],
      // (sic) ed3 and ed6
      ['systemResourceAvailibility:SystemResourceAvailabilityErrors'],
      ['subscribedResourceAvailability:SubscribedResourceAvailabilityErrors'],
      ['performanceManagement:PerformanceManagementErrors'],
      ['privateData:PrivateDataInfoErrors'],
      ['privateErrorCode:text'],
      ['unspecified:empty'],
    ),
  ],
};

/** ECMA-354 application session messages (namespace ECMA354_NAMESPACE). */
export const ECMA354_MESSAGES: Readonly<Record<string, ContentModel>> = {
  StartApplicationSession: [
    'applicationInfo:ApplicationInfo',
    'requestedProtocolVersions:ProtocolVersions',
    'requestedSessionDuration?:int',
    'extensions?:foreign',
  ],
  StartApplicationSessionPosResponse: [
    'sessionID:text',
    'actualProtocolVersion:text',
    'actualSessionDuration:int',
    'extensions?:foreign',
  ],
  StartApplicationSessionNegResponse: ['errorCode:StartApplicationSessionErrorCode', 'extensions?:foreign'],
  StopApplicationSession: ['sessionID:text', 'sessionEndReason:SessionEndReason', 'extensions?:foreign'],
  StopApplicationSessionPosResponse: ['extensions?:foreign'],
  StopApplicationSessionNegResponse: ['errorCode:StopApplicationSessionErrorCode', 'extensions?:foreign'],
  ResetApplicationSessionTimer: ['sessionID:text', 'requestedSessionDuration?:int', 'extensions?:foreign'],
  ResetApplicationSessionTimerPosResponse: ['actualSessionDuration:int', 'extensions?:foreign'],
  ResetApplicationSessionTimerNegResponse: [
    'errorCode:ResetApplicationSessionTimerErrorCode',
    'extensions?:foreign',
  ],
};
