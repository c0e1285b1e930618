// The two dialects of the CTI link (docs/cti-link.md §7), what both ends share of them: the ECMA-323
// editions written, and where the application session's login goes. The engine's CTI client
// (gateway/src/cti/) writes the login, the simulator (simulator/src/cti-server.ts) reads it.
//
// - `deskline`: the simulator's profile. Users, lines and devices travel as `dl:directory` private
//   data, the login as `dl:credentials`, devices are named `<device>/<dn>/<partition>`.
// - `standard`: nothing private. Devices are named as the call server numbers them (the DN), the
//   login goes where the vendor puts it (below), the directory comes from LDAP or a file.
//
// ECMA-354 gives the application's identity (`applicationInfo/applicationID`) and an open slot for
// anything else (`applicationInfo/applicationSpecificInfo`), but no credential fields: vendors that
// want a password put their own block in that slot (docs/real-deployments.md §4 lists the forms
// found in public material, with sources).
import {
  cstaNamespace,
  xmlNodeNamespace,
  type CstaMessageOf,
  type CstaXmlEdition,
  type XmlNode,
} from '../csta/index.js';

export const CTI_PROFILES = ['deskline', 'standard'] as const;
export type CtiProfileName = (typeof CTI_PROFILES)[number];

/** Editions the link may write (any is read): ed3 is what the simulator and most servers speak,
 *  ed4 OpenScape Voice's, ed5 the latest a public server is known to send. */
export const CTI_OUTPUT_EDITIONS = ['ed3', 'ed4', 'ed5'] as const satisfies readonly CstaXmlEdition[];
export type CtiOutputEdition = (typeof CTI_OUTPUT_EDITIONS)[number];

/**
 * Where the login goes in StartApplicationSession (standard profile):
 * - `none`: only `applicationID`; the server trusts the gateway's address (Unify OpenScape Voice's
 *   CSTA applications are configured by address).
 * - `applicationId`: the application user as `applicationID`, no password (servers that admit
 *   listed application names).
 * - `sessionLoginInfo`: Avaya AE Services' block, `SessionLoginInfo` in `http://www.avaya.com/csta`
 *   with `userName`, `password`, `sessionCleanupDelay`.
 * - `custom`: a block of the operator's naming (element, namespace, child names).
 */
export const LOGIN_FORMS = ['none', 'applicationId', 'sessionLoginInfo', 'custom'] as const;
export type LoginForm = (typeof LOGIN_FORMS)[number];

export interface LoginSpec {
  readonly form: LoginForm;
  /** `custom`: the block's element local name and namespace. */
  readonly element?: string | undefined;
  readonly namespace?: string | undefined;
  readonly userElement: string;
  readonly passwordElement: string;
  /** Further children of the block with fixed text, after the password. */
  readonly extra: Readonly<Record<string, string>>;
}

export const AVAYA_SESSION_LOGIN_INFO = {
  element: 'SessionLoginInfo',
  namespace: 'http://www.avaya.com/csta',
  userElement: 'userName',
  passwordElement: 'password',
  extra: { sessionCleanupDelay: '60' },
} as const;

/** A namespace the standard profile must never send: Deskline's own (docs/cti-link.md §2). */
export function isPrivateNamespace(namespace: string): boolean {
  return namespace.toLowerCase().startsWith('urn:deskline');
}

/** The credential block's names for a login spec, undefined when the form sends no block. */
export function credentialBlockNames(spec: LoginSpec):
  | {
      element: string;
      namespace: string;
      userElement: string;
      passwordElement: string;
      extra: Readonly<Record<string, string>>;
    }
  | undefined {
  switch (spec.form) {
    case 'none':
    case 'applicationId':
      return undefined;
    case 'sessionLoginInfo':
      return {
        ...AVAYA_SESSION_LOGIN_INFO,
        userElement: spec.userElement,
        passwordElement: spec.passwordElement,
        extra: Object.keys(spec.extra).length > 0 ? spec.extra : AVAYA_SESSION_LOGIN_INFO.extra,
      };
    case 'custom':
      if (spec.element === undefined || spec.namespace === undefined) return undefined;
      return {
        element: spec.element,
        namespace: spec.namespace,
        userElement: spec.userElement,
        passwordElement: spec.passwordElement,
        extra: spec.extra,
      };
    default: {
      const never: never = spec.form;
      throw new Error(`unknown login form ${String(never)}`);
    }
  }
}

export interface StandardSessionRequest {
  readonly applicationId: string;
  readonly applicationUser: string;
  readonly password: string;
  readonly login: LoginSpec;
  readonly edition: CtiOutputEdition;
  readonly requestedSessionDuration: number;
}

/** StartApplicationSession of the standard profile: nothing in Deskline's namespace. */
export function standardStartApplicationSession(
  request: StandardSessionRequest,
): CstaMessageOf<'StartApplicationSession'> {
  const block = credentialBlockNames(request.login);
  const applicationID =
    request.login.form === 'applicationId' ? request.applicationUser : request.applicationId;
  const applicationInfo: CstaMessageOf<'StartApplicationSession'>['applicationInfo'] =
    block === undefined
      ? { applicationID }
      : {
          applicationID,
          applicationSpecificInfo: {
            unknown: [
              {
                name: block.element,
                attributes: { xmlns: block.namespace },
                children: [
                  { name: block.userElement, text: request.applicationUser },
                  { name: block.passwordElement, text: request.password },
                  ...Object.entries(block.extra).map(([name, text]): XmlNode => ({ name, text })),
                ],
              },
            ],
          },
        };
  return {
    type: 'StartApplicationSession',
    applicationInfo,
    requestedProtocolVersions: [cstaNamespace(request.edition)],
    requestedSessionDuration: request.requestedSessionDuration,
  };
}

/** What a StartApplicationSession presents, read as `spec` says (the simulator's side). Undefined
 *  when the expected block is missing. */
export function presentedLogin(
  request: CstaMessageOf<'StartApplicationSession'>,
  spec: LoginSpec,
): { userName: string | undefined; password: string | undefined } | undefined {
  const info = request.applicationInfo;
  switch (spec.form) {
    case 'none':
      return { userName: undefined, password: undefined };
    case 'applicationId':
      return { userName: info.applicationID, password: undefined };
    case 'sessionLoginInfo':
    case 'custom': {
      const names = credentialBlockNames(spec);
      if (names === undefined) return undefined;
      const block = (info.applicationSpecificInfo?.unknown ?? []).find(
        (node) => localName(node.name) === names.element && xmlNodeNamespace(node) === names.namespace,
      );
      if (block === undefined) return undefined;
      const child = (name: string): string | undefined =>
        block.children?.find((c) => localName(c.name) === name)?.text;
      return { userName: child(names.userElement), password: child(names.passwordElement) };
    }
    default: {
      const never: never = spec.form;
      throw new Error(`unknown login form ${String(never)}`);
    }
  }
}

function localName(name: string): string {
  return name.slice(name.indexOf(':') + 1);
}
