// Types of build.mjs, for the TypeScript that imports it (main/test/preload.test.ts).
export declare function buildMain(options?: { outDir?: string }): Promise<void>;
export declare function buildRenderer(): Promise<void>;
export declare function buildService(options?: { outFile?: string }): Promise<void>;
