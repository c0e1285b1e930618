// A SIP connection that goes nowhere, for the development tools that drive the real UAS core in
// memory (gateway/test/bench/hot-path.ts, gateway/test/sip/bench/dialog-memory.ts): what the core
// writes is counted and dropped.
import {
  SipConnection,
  type ConnectionLimits,
  type ConnectionSink,
} from '../../src/sip/transport/connection.js';
import type { Clock } from '../../src/util/clock.js';
import type { Logger } from '../../src/util/logger.js';

export class NullConnection extends SipConnection {
  readonly protocol = 'TCP' as const;
  written = 0;
  constructor(id: number, sink: ConnectionSink, clock: Clock, logger: Logger, limits: ConnectionLimits) {
    super(
      {
        id,
        remoteAddress: '127.0.0.1',
        remotePort: 5061,
        localAddress: '127.0.0.1',
        localPort: 5060,
        outbound: false,
      },
      sink,
      clock,
      logger,
      limits,
    );
  }
  protected pauseReading(): void {}
  protected resumeReading(): void {}
  protected write(bytes: Buffer): number {
    this.written += bytes.length;
    return 0;
  }
  protected end(): void {}
  protected kill(): void {}
  protected get hasPartialMessage(): boolean {
    return false;
  }
  get bufferedBytes(): number {
    return 0;
  }
}
