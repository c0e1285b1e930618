// The project's Kamailio (deploy/kamailio/kamailio.cfg) in front of gateway node processes, as
// gateway/test/cluster/ runs them, serving sipe's example site (rcc-clients/sipe-cluster.ts).
import type { Simulator } from '../../../../simulator/src/index.js';
import { TestCluster, type KamailioInstance } from '../../cluster/cluster.js';
import { sipeClusterConfig } from '../../rcc-clients/sipe-cluster.js';
import type { RccBackend } from './scenario.js';

export class ClusterSite implements RccBackend {
  /** The nodes' SIP domain (cluster.ts): Kamailio dispatches the Server URI to any node. */
  readonly lineServer = 'sip:73124@deskline.test';

  private constructor(
    readonly cluster: TestCluster,
    readonly kamailio: KamailioInstance,
  ) {}

  static async start(options: { nodes: number; sessionExpiresSec: number }): Promise<ClusterSite> {
    const cluster = await TestCluster.start({
      nodes: options.nodes,
      users: 0,
      cluster: sipeClusterConfig(),
      sip: { sessionExpiresSec: options.sessionExpiresSec, minSessionExpiresSec: 90 },
    });
    try {
      const kamailio = await cluster.startKamailio('kamailio-sipe', { probeIntervalSec: 1 });
      return new ClusterSite(cluster, kamailio);
    } catch (cause) {
      await cluster.dispose();
      throw cause;
    }
  }

  get simulator(): Simulator {
    return this.cluster.simulator;
  }

  upstream(): { host: string; port: number } {
    return { host: '127.0.0.1', port: this.kamailio.port };
  }

  async sessions(): Promise<number> {
    let total = 0;
    for (const node of this.cluster.gateways) if (node.child.running) total += await node.sessions();
    return total;
  }

  diagnostics(): string {
    return this.cluster.diagnostics();
  }

  dispose(): Promise<void> {
    return this.cluster.dispose();
  }
}
