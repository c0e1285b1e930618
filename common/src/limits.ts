/**
 * CTI Manager nodes one gateway connects to, at most: the Cisco IM and Presence CTI gateway's
 * limit (docs/cti-link.md §1). The one definition behind `cti.addresses` in the gateway
 * configuration, the CTI connection pool, the simulator's nodes and the settings screen.
 */
export const MAX_CTI_NODES = 8;
