// The directory layer's public surface (docs/directory.md).
export * from './provider.js';
export * from './errors.js';
export { DirectoryRefresher, countsOf, type DirectoryContent, type RefresherOptions } from './refresher.js';
export {
  LdapDirectoryConfigSchema,
  parseLdapDirectoryConfig,
  parseLineServer,
  lineServerMatches,
  LDAP_SETTINGS_PATH,
  AD_PEOPLE_FILTER,
  RCC_OPTION_FLAG,
  type LdapDirectoryConfig,
  type LdapDirectoryConfigInput,
  type LineServerName,
} from './ldap-config.js';
export { LdapDirectoryProvider, type LdapDirectoryProviderOptions } from './ldap-provider.js';
export { deviceNameFor, numberKey, numbersMatch } from './ldap-mapping.js';
export {
  CtiDirectoryProvider,
  type CtiDirectoryMetrics,
  type CtiDirectoryProviderOptions,
  type DirectoryRefusal,
  type DirectoryRefusalReason,
} from './cti-provider.js';
export {
  FileDirectoryProvider,
  type FileDirectoryConfig,
  type FileDirectoryProviderOptions,
} from './file-provider.js';
export { RecordFindings } from './record-findings.js';
export { createDirectoryProvider, type DirectoryProviderPorts } from './factory.js';
export { SnapshotDeviceIds, type DeviceIdSettings } from './device-ids.js';
export {
  SnapshotDirectoryLookup,
  peopleOf,
  checkSearchQuery,
  DEFAULT_SNAPSHOT_LOOKUP_LIMITS,
  type DirectoryContentView,
  type SnapshotLookupLimits,
} from './snapshot-lookup.js';
