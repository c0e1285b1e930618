// What the browser shell keeps in its data directory so that a restarted gateway is the same
// shell to the tab that was open (docs/ui.md §5): the token (a tab keeps it in sessionStorage
// and reconnects with it) and the port it listened on last (the tab's origin). Written like the
// other stores (AtomicJsonFile: 0600, atomic replace, last good copy kept).
//
// File format (`shell.json`): { "version": 1, "token": "<base64url>", "port": 40123 }
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../../../gateway/src/index.js';
import { AtomicJsonFile } from '../stores/atomic-json-file.js';

export const SHELL_STATE_FILE = 'shell.json';

/** The shell server's token grammar (shell-server.ts): 16-128 of [A-Za-z0-9_-]. */
const Token = z.string().regex(/^[A-Za-z0-9_-]{16,128}$/);

const ShellStateSchema = z.object({
  version: z.literal(1),
  token: Token,
  port: z.number().int().min(1).max(65535).optional(),
});
export type ShellState = z.infer<typeof ShellStateSchema>;

export interface ShellStateStore {
  readonly token: string;
  /** The port of the last start, when there was one. */
  readonly port: number | undefined;
  /** Remembers the port this start listens on. */
  savePort(port: number): Promise<void>;
  dispose(): Promise<void>;
}

/** Loads the shell's state, creating a token (32 random bytes) on first use. */
export async function openShellState(dataDir: string, logger: Logger): Promise<ShellStateStore> {
  const file = new AtomicJsonFile<ShellState>({
    path: join(dataDir, SHELL_STATE_FILE),
    schema: ShellStateSchema,
    logger: logger.child({ component: 'shell-state' }),
    mode: 0o600,
  });
  const loaded = await file.load();
  let state: ShellState = loaded.value ?? { version: 1, token: randomBytes(32).toString('base64url') };
  if (loaded.value === undefined) {
    const saved = await file.save(state);
    if (!saved.ok)
      logger.warn({ error: saved.error.message }, 'shell: token not saved (a restart makes a new one)');
  }
  return {
    token: state.token,
    port: state.port,
    async savePort(port) {
      if (state.port === port) return;
      state = { ...state, port };
      const saved = await file.save(state);
      if (!saved.ok) logger.warn({ error: saved.error.message }, 'shell: port not saved');
    },
    dispose: () => file.dispose(),
  };
}
