// Launch requests (dial links from macOS open-url, a second instance's command line) that can
// arrive before the app has finished starting: queued until start-up drains them, then
// handed over as they come.

export type LaunchItem = { kind: 'url'; url: string } | { kind: 'argv'; argv: readonly string[] };

/** Each queued item is a user action; a burst beyond this before start-up ends is dropped. */
export const LAUNCH_INBOX_LIMIT = 32;

export class LaunchInbox {
  private readonly pending: LaunchItem[] = [];
  private handler: ((item: LaunchItem) => void) | undefined;

  push(item: LaunchItem): void {
    if (this.handler !== undefined) this.handler(item);
    else if (this.pending.length < LAUNCH_INBOX_LIMIT) this.pending.push(item);
  }

  /** From now on items go to `handler`, starting with those queued, in order. */
  drain(handler: (item: LaunchItem) => void): void {
    this.handler = handler;
    for (const item of this.pending.splice(0)) handler(item);
  }
}
