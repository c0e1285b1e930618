// A broken CTI Manager node for hostile tests: a raw TCP listener on 127.0.0.1 (port 0) that
// speaks the CTI link's framing and application session (docs/cti-link.md §1, §3) — it opens
// sessions and answers heartbeats like a healthy node — and then misbehaves as told: it floods
// SwitchingFunctionDevices segments nobody asked for (issue 9, finding 4), or answers a directory
// request with segments that never end, and refuses every other request with a CSTA error. Built from the real codec and framing, so its bytes are what
// a real peer would send.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { cstaNamespace, decodeCsta, encodeCsta, type CstaMessage } from '../../src/csta/index.js';
import { switchingFunctionDevicesMessage, type DirectoryUser } from '../../src/cti-link/directory-codec.js';
import { encodeFrame, FrameDecoder } from '../../src/cti-link/framing.js';
import { EVENT_INVOKE_ID } from '../../src/cti-link/invoke-id.js';

/** One SwitchingFunctionDevices frame of about `bytes` bytes (at most a frame), decodable by the
 *  gateway's codec: a segment of a directory of made-up licensed users. */
export function unrequestedSegmentFrame(bytes: number, serviceCrossRefID = 'flood-1'): Buffer {
  const users: DirectoryUser[] = [];
  const build = (): Buffer =>
    encodeFrame(
      EVENT_INVOKE_ID,
      encodeCsta(
        switchingFunctionDevicesMessage(
          { users, devices: [] },
          { serviceCrossRefID, segmentID: 1, lastSegment: false },
        ),
      ),
    );
  let frame = build();
  for (let i = 0; frame.length < bytes; i++) {
    users.push({
      id: `intruder${i}`,
      displayName: `Intruder Number ${i} of a directory nobody requested`,
      licence: 'CUWL',
      sipUri: `sip:intruder${i}@attacker.example`,
      controlledDevices: [`SEP${(0xa00000000000 + i).toString(16).toUpperCase()}`],
    });
    if (i % 16 === 15) frame = build();
  }
  while (frame.length > bytes) {
    users.pop();
    frame = build();
  }
  return frame;
}

export interface FloodReport {
  /** Segments written so far. */
  readonly sent: number;
  readonly bytes: number;
  /** Resolves when the last segment was handed to the kernel (or the peer went away). */
  readonly done: Promise<void>;
}

export interface BrokenCtiNodeOptions {
  /** Answer GetSwitchingFunctionDevices, then send this many segments of it, none the last. */
  readonly endlessDirectorySegments?: number;
}

export class BrokenCtiNode {
  private readonly sockets = new Set<Socket>();
  private sessionCounter = 0;
  heartbeatsAnswered = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly options: BrokenCtiNodeOptions,
  ) {}

  static async start(options: BrokenCtiNodeOptions = {}): Promise<BrokenCtiNode> {
    const server = createServer({ noDelay: true });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const node = new BrokenCtiNode(server, (server.address() as AddressInfo).port, options);
    server.on('connection', (socket) => node.accept(socket));
    return node;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Sessions open now (one per connection). */
  get connections(): number {
    return this.sockets.size;
  }

  /**
   * Writes `count` copies of `frame` (an unrequested segment) to every connection, honouring
   * back-pressure so that the test process itself does not buffer the flood.
   */
  flood(frame: Buffer, count: number): FloodReport {
    let sent = 0;
    const sockets = [...this.sockets];
    const done = (async () => {
      for (let i = 0; i < count; i++) {
        for (const socket of sockets) {
          if (socket.destroyed) continue;
          if (!socket.write(frame))
            await new Promise<void>((resolve) => {
              const go = (): void => {
                socket.off('drain', go);
                socket.off('close', go);
                resolve();
              };
              socket.on('drain', go);
              socket.on('close', go);
            });
        }
        sent++;
      }
    })();
    return {
      get sent() {
        return sent;
      },
      get bytes() {
        return sent * frame.length;
      },
      done,
    };
  }

  async dispose(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    const decoder = new FrameDecoder();
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.sockets.delete(socket);
      decoder.dispose();
    });
    socket.on('data', (chunk: Buffer) => {
      const frames = decoder.push(chunk);
      if (!frames.ok) {
        socket.destroy();
        return;
      }
      for (const frame of frames.value) {
        const decoded = decodeCsta(frame.payload);
        if (!decoded.ok) continue;
        const request = decoded.value.message;
        const endless = this.options.endlessDirectorySegments;
        if (request.type === 'GetSwitchingFunctionDevices' && endless !== undefined) {
          const crossRef = `endless-${++this.sessionCounter}`;
          socket.write(
            encodeFrame(
              frame.invokeId,
              encodeCsta({ type: 'GetSwitchingFunctionDevicesResponse', serviceCrossRefID: crossRef }),
            ),
          );
          const segment = unrequestedSegmentFrame(8_000, crossRef);
          for (let i = 0; i < endless; i++) socket.write(segment);
          continue;
        }
        const answer = this.answer(request);
        if (answer !== undefined) socket.write(encodeFrame(frame.invokeId, encodeCsta(answer)));
      }
    });
  }

  private answer(request: CstaMessage): CstaMessage | undefined {
    switch (request.type) {
      case 'StartApplicationSession':
        return {
          type: 'StartApplicationSessionPosResponse',
          sessionID: `broken-${++this.sessionCounter}`,
          actualProtocolVersion: cstaNamespace('ed3'),
          actualSessionDuration: request.requestedSessionDuration ?? 60,
        };
      case 'ResetApplicationSessionTimer':
        this.heartbeatsAnswered++;
        return {
          type: 'ResetApplicationSessionTimerPosResponse',
          actualSessionDuration: request.requestedSessionDuration,
        };
      case 'StopApplicationSession':
        return { type: 'StopApplicationSessionPosResponse' };
      default:
        return { type: 'CSTAErrorCode', errorClass: 'operation', value: 'generic' };
    }
  }
}
