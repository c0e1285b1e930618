// Types of electron-binary.mjs, for the TypeScript that imports it (e2e/app.electron.ts, tests).
export declare function electronPackageDir(): string | undefined;
export declare function locateElectron(options?: {
  electronDir?: string | undefined;
  env?: Record<string, string | undefined>;
}): { ok: true; path: string } | { ok: false; reason: string };
