// How the engine's errors become CSTA negative acknowledgements (ECMA-269 §9.3,
// ECMA-323 CSTAErrorCode) for any face that speaks CSTA. One table, so a Microsoft client
// and the desktop see the same refusal for the same cause.
import { cstaError, type CstaErrorCode } from '../csta/index.js';
import { DesklineError, ErrorCode } from '../util/errors.js';

/** The CSTA error a CTI Manager sent, when an error carries one. */
export function cstaErrorOf(error: DesklineError): CstaErrorCode | undefined {
  const detail = error.detail?.['cstaError'] as { errorClass?: string; value?: string } | undefined;
  if (detail?.errorClass === undefined || detail.value === undefined) return undefined;
  return cstaError(detail.errorClass as CstaErrorCode['errorClass'], detail.value);
}

export function toCstaError(error: DesklineError): CstaErrorCode {
  const fromCti = cstaErrorOf(error);
  if (fromCti !== undefined) return fromCti;
  switch (error.code) {
    // The CTI connection is down or slow: the resource (the CTI Manager) is unavailable.
    case ErrorCode.CtiNotConnected:
    case ErrorCode.CtiConnectionClosed:
    case ErrorCode.NoHealthyCtiConnection:
      return cstaError('systemResourceAvailibility', 'resourceOutOfService');
    case ErrorCode.CtiTimeout:
      return cstaError('systemResourceAvailibility', 'resourceBusy');
    case ErrorCode.LineNotOwned:
    case ErrorCode.CtiControlDisallowed:
      return cstaError('operation', 'privilegeViolationSpecifiedDevice');
    case ErrorCode.NotLicensed:
    case ErrorCode.UnknownUser:
      return cstaError('security', 'generic');
    case ErrorCode.UnknownLine:
      return cstaError('operation', 'invalidDeviceID');
    case ErrorCode.NumberInvalid:
    case ErrorCode.UriInvalid:
      return cstaError('operation', 'invalidDestination');
    case ErrorCode.InvalidState:
      return cstaError('stateIncompatibility', 'invalidObjectState');
    case ErrorCode.CstaMissingField:
    case ErrorCode.CstaInvalidField:
    case ErrorCode.InvalidArgument:
      return cstaError('operation', 'valueOutOfRange');
    case ErrorCode.CstaUnknownMessage:
      return cstaError('operation', 'invalidObjectType');
    case ErrorCode.XmlMalformed:
    case ErrorCode.XmlForbiddenConstruct:
    case ErrorCode.XmlTooLarge:
    case ErrorCode.XmlTooDeep:
    case ErrorCode.XmlEncoding:
      return cstaError('operation', 'generic');
    default:
      return cstaError('operation', 'generic');
  }
}

/** A DesklineError that carries a CSTA error (for requests refused by the engine itself). */
export function refusal(code: ErrorCode, message: string, csta?: CstaErrorCode): DesklineError {
  return new DesklineError(
    code,
    message,
    csta === undefined
      ? undefined
      : { detail: { cstaError: { errorClass: csta.errorClass, value: csta.value } } },
  );
}
