// Types of electron-binary.mjs, for the TypeScript that imports it (e2e/app.electron.ts, tests).
export type InstallResult = { ok: true } | { ok: false; reason: string };
export type ElectronEnv = Record<string, string | undefined>;

export declare const DESKTOP_NODE_MIN: string;
export declare const INSTALL_TIMEOUT_MS: number;
export declare function electronPackageDir(): string | undefined;
export declare function locateElectron(options?: {
  electronDir?: string | undefined;
  env?: ElectronEnv;
}): { ok: true; path: string } | { ok: false; reason: string; missing: 'package' | 'binary' };
export declare function nodeAtLeast(version: string, minimum: string): boolean;
export declare function installerFailureReason(output: string, code: number | null): string;
export declare function runElectronInstaller(options: {
  electronDir: string;
  env: ElectronEnv;
  timeoutMs?: number;
}): Promise<InstallResult>;
export declare function ensureElectron(options?: {
  electronDir?: string | undefined;
  env?: ElectronEnv;
  nodeVersion?: string;
  install?: (options: { electronDir: string; env: ElectronEnv }) => Promise<InstallResult>;
  onInstalling?: () => void;
}): Promise<
  { ok: true; path: string; installed: boolean } | { ok: false; reason: string; installerRan: boolean }
>;
export declare function cannotStartLine(reason: string): string;
