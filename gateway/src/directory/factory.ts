// The provider `directory.source` names (docs/directory.md): `cti` (the simulator's private
// directory over the CTI link), `file` (a cluster file) or `ldap` (Active Directory / LDAP).
import type { GatewayConfig } from '../config/config.js';
import type { CtiPool } from '../cti/cti-pool.js';
import type { NumberingRules } from '../numbering/index.js';
import type { Clock } from '../util/clock.js';
import { assertNever } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { CtiDirectoryProvider, type CtiDirectoryMetrics } from './cti-provider.js';
import { FileDirectoryProvider } from './file-provider.js';
import { LdapDirectoryProvider } from './ldap-provider.js';
import type { DirectoryProvider } from './provider.js';

export interface DirectoryProviderPorts {
  readonly pool: Pick<CtiPool, 'usableByPriority'>;
  readonly rules: NumberingRules;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics?: CtiDirectoryMetrics;
}

/** The configured provider, not started. The configuration was validated: the source's own
 *  settings are present (config.ts checks it, naming the field). */
export function createDirectoryProvider(
  config: GatewayConfig,
  ports: DirectoryProviderPorts,
): DirectoryProvider {
  const source = config.directory.source;
  switch (source) {
    case 'cti':
      return new CtiDirectoryProvider({
        pool: ports.pool,
        clock: ports.clock,
        logger: ports.logger,
        refreshMs: config.cti.directoryRefreshSec * 1000,
        maxShrinkPercent: config.cti.directoryMaxShrinkPercent,
        ...(ports.metrics === undefined ? {} : { metrics: ports.metrics }),
      });
    case 'file': {
      const file = config.directory.file;
      if (file === undefined) throw new Error('assertion failed: directory.file checked by the config');
      return new FileDirectoryProvider({ config: file, clock: ports.clock, logger: ports.logger });
    }
    case 'ldap': {
      const ldap = config.directory.ldap;
      if (ldap === undefined) throw new Error('assertion failed: directory.ldap checked by the config');
      return new LdapDirectoryProvider({
        config: ldap,
        rules: ports.rules,
        clock: ports.clock,
        logger: ports.logger,
      });
    }
    default:
      return assertNever(source, 'directory source');
  }
}
