// The `dl:directory` private element of SwitchingFunctionDevices (docs/cti-link.md §4): typed
// records of the CUCM model (users, devices, lines), their XML form, and the segmentation that
// keeps every SwitchingFunctionDevices frame under the frame limit.
import {
  DESKLINE_NAMESPACE,
  encodeCsta,
  xmlNodeNamespace,
  type CstaMessageOf,
  type XmlNode,
} from '../csta/index.js';
import { encodeXmlNode } from '../csta/xml.js';
import { DesklineError, ErrorCode } from '../util/errors.js';
import { err, ok, type Result } from '../util/result.js';
import { FRAME_HEADER_BYTES, MAX_FRAME_BYTES } from './framing.js';

export type Licence = 'UCL' | 'CUWL';

export interface DirectoryUser {
  id: string;
  displayName: string;
  /** IM and Presence licence; null = none (no RCC for this user). */
  licence: Licence | null;
  sipUri?: string;
  /** Names of the devices whose line appearances the user may control. */
  controlledDevices: string[];
}

export interface DirectoryLine {
  /** Line button index on the device, from 1. */
  index: number;
  dn: string;
  partition: string;
  label: string;
  e164?: string;
}

export interface DirectoryDevice {
  /** `SEP<MAC>` and the like. */
  name: string;
  model: string;
  description: string;
  /** CUCM "Allow control of device from CTI". */
  ctiAllowed: boolean;
  lines: DirectoryLine[];
}

/** One segment's records (or a whole directory: same shape). */
export interface DirectorySegment {
  users: DirectoryUser[];
  devices: DirectoryDevice[];
}

const DL = 'dl:';

/** CTI device ID of a line appearance (docs/cti-link.md §5): `<deviceName>/<dn>/<partition>`. */
export function appearanceDeviceId(deviceName: string, dn: string, partition: string): string {
  return `${deviceName}/${dn}/${partition}`;
}

// ---- to XML -----------------------------------------------------------------------------------

function userNode(user: DirectoryUser): XmlNode {
  const attributes: Record<string, string> = { id: user.id, displayName: user.displayName };
  if (user.licence !== null) attributes['licence'] = user.licence;
  if (user.sipUri !== undefined) attributes['sipUri'] = user.sipUri;
  const node: XmlNode = { name: DL + 'user', attributes };
  if (user.controlledDevices.length > 0)
    node.children = user.controlledDevices.map((name) => ({ name: DL + 'controlledDevice', text: name }));
  return node;
}

function deviceNode(device: DirectoryDevice): XmlNode {
  const node: XmlNode = {
    name: DL + 'device',
    attributes: {
      name: device.name,
      model: device.model,
      description: device.description,
      ctiAllowed: device.ctiAllowed ? 'true' : 'false',
    },
  };
  if (device.lines.length > 0) {
    node.children = device.lines.map((line) => {
      const attributes: Record<string, string> = {
        index: String(line.index),
        dn: line.dn,
        partition: line.partition,
        label: line.label,
      };
      if (line.e164 !== undefined) attributes['e164'] = line.e164;
      return { name: DL + 'line', attributes };
    });
  }
  return node;
}

/** The `dl:directory` element for `extensions/privateData/private`. */
export function directoryToPrivateData(segment: DirectorySegment): XmlNode {
  return {
    name: DL + 'directory',
    attributes: { 'xmlns:dl': DESKLINE_NAMESPACE },
    children: [...segment.users.map(userNode), ...segment.devices.map(deviceNode)],
  };
}

/** The SwitchingFunctionDevices segment message: one station `deviceList/device` per line
 *  appearance (ECMA-323 ed3's names), and the segment's records as `dl:directory` private data. */
export function switchingFunctionDevicesMessage(
  segment: DirectorySegment,
  ids: { serviceCrossRefID: string; segmentID: number; lastSegment: boolean },
): CstaMessageOf<'SwitchingFunctionDevices'> {
  const deviceList: { deviceID: string; deviceCategory: 'station' }[] = [];
  for (const device of segment.devices) {
    for (const line of device.lines)
      deviceList.push({
        deviceID: appearanceDeviceId(device.name, line.dn, line.partition),
        deviceCategory: 'station',
      });
  }
  return {
    type: 'SwitchingFunctionDevices',
    serviceCrossRefID: ids.serviceCrossRefID,
    segmentID: ids.segmentID,
    lastSegment: ids.lastSegment,
    deviceList,
    extensions: { privateData: [directoryToPrivateData(segment)] },
  };
}

// ---- from XML ---------------------------------------------------------------------------------

function localName(node: XmlNode): string {
  const colon = node.name.indexOf(':');
  return colon === -1 ? node.name : node.name.slice(colon + 1);
}

class DirectoryFailure {
  constructor(readonly error: DesklineError) {}
}

function missing(path: string): never {
  throw new DirectoryFailure(
    new DesklineError(ErrorCode.CstaMissingField, `missing required field ${path}`, { detail: { path } }),
  );
}

function invalid(path: string, reason: string, value: string): never {
  const shown = value.length > 80 ? value.slice(0, 80) + '…' : value;
  throw new DirectoryFailure(
    new DesklineError(ErrorCode.CstaInvalidField, `${path}: ${reason}: "${shown}"`, {
      detail: { path, value: shown },
    }),
  );
}

function attr(node: XmlNode, name: string, path: string): string {
  const value = node.attributes?.[name];
  if (value === undefined) missing(`${path}/@${name}`);
  return value;
}

function decodeUser(node: XmlNode, path: string): DirectoryUser {
  const licence = node.attributes?.['licence'];
  if (licence !== undefined && licence !== 'UCL' && licence !== 'CUWL')
    invalid(`${path}/@licence`, 'not UCL|CUWL', licence);
  const user: DirectoryUser = {
    id: attr(node, 'id', path),
    displayName: attr(node, 'displayName', path),
    licence: licence ?? null,
    controlledDevices: [],
  };
  const sipUri = node.attributes?.['sipUri'];
  if (sipUri !== undefined) user.sipUri = sipUri;
  for (const child of node.children ?? []) {
    // Unknown elements are skipped: a newer peer may add records we do not know yet.
    if (localName(child) === 'controlledDevice') user.controlledDevices.push(child.text ?? '');
  }
  return user;
}

function decodeDevice(node: XmlNode, path: string): DirectoryDevice {
  const ctiAllowed = attr(node, 'ctiAllowed', path);
  if (ctiAllowed !== 'true' && ctiAllowed !== 'false')
    invalid(`${path}/@ctiAllowed`, 'not a boolean', ctiAllowed);
  const device: DirectoryDevice = {
    name: attr(node, 'name', path),
    model: attr(node, 'model', path),
    description: node.attributes?.['description'] ?? '',
    ctiAllowed: ctiAllowed === 'true',
    lines: [],
  };
  let n = 0;
  for (const child of node.children ?? []) {
    if (localName(child) !== 'line') continue;
    n++;
    const linePath = `${path}/dl:line[${n}]`;
    const indexText = attr(child, 'index', linePath);
    if (!/^[0-9]{1,4}$/.test(indexText) || Number(indexText) < 1)
      invalid(`${linePath}/@index`, 'not a line index 1..9999', indexText);
    const line: DirectoryLine = {
      index: Number(indexText),
      dn: attr(child, 'dn', linePath),
      partition: attr(child, 'partition', linePath),
      label: child.attributes?.['label'] ?? '',
    };
    const e164 = child.attributes?.['e164'];
    if (e164 !== undefined) line.e164 = e164;
    device.lines.push(line);
  }
  return device;
}

/** Finds the `dl:directory` element among private-data nodes and decodes its records. */
export function directoryFromPrivateData(nodes: readonly XmlNode[] | undefined): Result<DirectorySegment> {
  const directory = nodes?.find(
    (node) => localName(node) === 'directory' && xmlNodeNamespace(node) === DESKLINE_NAMESPACE,
  );
  if (directory === undefined) {
    const path = 'extensions/privateData/private/dl:directory';
    return err(
      new DesklineError(ErrorCode.CstaMissingField, `missing required field ${path}`, { detail: { path } }),
    );
  }
  try {
    const segment: DirectorySegment = { users: [], devices: [] };
    let users = 0;
    let devices = 0;
    for (const child of directory.children ?? []) {
      const local = localName(child);
      if (local === 'user') segment.users.push(decodeUser(child, `dl:directory/dl:user[${++users}]`));
      else if (local === 'device')
        segment.devices.push(decodeDevice(child, `dl:directory/dl:device[${++devices}]`));
    }
    return ok(segment);
  } catch (e) {
    if (e instanceof DirectoryFailure) return err(e.error);
    return err(
      new DesklineError(
        ErrorCode.Internal,
        `directory decoder failure: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      ),
    );
  }
}

// ---- segmentation -----------------------------------------------------------------------------

/** Longest serviceCrossRefID the default envelope reserve allows for. */
export const MAX_SERVICE_CROSS_REF_ID_CHARS = 64;

/** Bytes of a SwitchingFunctionDevices frame with no records, at its longest: header, XML
 *  declaration, envelope with the longest IDs, and the empty dl:directory wrapper. */
function envelopeBytes(): number {
  const empty = switchingFunctionDevicesMessage(
    { users: [], devices: [] },
    {
      serviceCrossRefID: 'x'.repeat(MAX_SERVICE_CROSS_REF_ID_CHARS),
      segmentID: 2_147_483_647,
      lastSegment: false,
    },
  );
  // The empty deviceList and dl:directory are written self-closed; records need open+close tags.
  const openClose =
    '<deviceList></deviceList>'.length -
    '<deviceList/>'.length +
    '<dl:directory></dl:directory>'.length -
    '<dl:directory/>'.length;
  return FRAME_HEADER_BYTES + Buffer.byteLength(encodeCsta(empty), 'utf8') + openClose;
}

function deviceEntriesBytes(device: DirectoryDevice): number {
  let bytes = 0;
  for (const line of device.lines) {
    bytes +=
      '<device><deviceID></deviceID><deviceCategory>station</deviceCategory></device>'.length +
      Buffer.byteLength(
        encodeXmlNode({ name: 'x', text: appearanceDeviceId(device.name, line.dn, line.partition) }),
        'utf8',
      ) -
      '<x></x>'.length;
  }
  return bytes;
}

/**
 * Splits a directory into segments whose SwitchingFunctionDevices frames (as built by
 * switchingFunctionDevicesMessage, serviceCrossRefID up to 64 characters) stay within
 * `maxFrameBytes`. Records keep their order; an empty directory gives one empty segment (the
 * peer still needs a lastSegment). Throws a DesklineError (FrameTooLarge) if a single record
 * cannot fit in a frame on its own.
 */
export function segmentDirectory(
  directory: DirectorySegment,
  maxFrameBytes: number = MAX_FRAME_BYTES,
): DirectorySegment[] {
  const budget = Math.min(maxFrameBytes, MAX_FRAME_BYTES) - envelopeBytes();
  const segments: DirectorySegment[] = [];
  let current: DirectorySegment = { users: [], devices: [] };
  let used = 0;
  const place = (bytes: number, add: (segment: DirectorySegment) => void, what: string): void => {
    if (bytes > budget) {
      throw new DesklineError(
        ErrorCode.FrameTooLarge,
        `directory record ${what} needs ${bytes} bytes, more than a ${maxFrameBytes}-byte frame can hold`,
        {
          detail: { record: what, bytes, budget },
        },
      );
    }
    if (used + bytes > budget) {
      segments.push(current);
      current = { users: [], devices: [] };
      used = 0;
    }
    add(current);
    used += bytes;
  };
  for (const user of directory.users) {
    place(
      Buffer.byteLength(encodeXmlNode(userNode(user)), 'utf8'),
      (s) => s.users.push(user),
      `user ${user.id}`,
    );
  }
  for (const device of directory.devices) {
    const bytes = Buffer.byteLength(encodeXmlNode(deviceNode(device)), 'utf8') + deviceEntriesBytes(device);
    place(bytes, (s) => s.devices.push(device), `device ${device.name}`);
  }
  segments.push(current);
  return segments;
}
