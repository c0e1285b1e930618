// The LDAP provider's settings live with the rest of the configuration schema
// (gateway/src/config/ldap-config.ts, embedded as `directory.ldap`); re-exported here for the
// provider's files and its tests.
export * from '../config/ldap-config.js';
