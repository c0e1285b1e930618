// Which port could not be had, and the one line that says what to do about it (docs/desktop.md,
// "Browser shell"): the service's listeners each have a flag that moves them.
/** The port an error says was taken (EADDRINUSE), if that is what it says. */
export function portInUse(error: unknown): number | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const code = (e as NodeJS.ErrnoException).code;
    const port = (e as { port?: unknown }).port;
    if (code === 'EADDRINUSE' && typeof port === 'number') return port;
    const text = /EADDRINUSE\b.*?:(\d{1,5})\b/.exec(e.message);
    if (text?.[1] !== undefined) return Number(text[1]);
    if (code === 'EADDRINUSE') return -1;
  }
  return undefined;
}

/** One line naming the flag that moves what could not listen (issue: `npm run shell` with 9090
 *  taken exited with a bare EADDRINUSE). */
export function inUseHint(port: number, flag: string, what: string): string {
  return `${port > 0 ? `port ${port}` : 'a port'} is already in use (${what}): choose another with --${flag} <port>, or stop what holds it`;
}
