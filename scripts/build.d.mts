/** Types of scripts/build.mjs (see its module comment). */
export declare const ROOT: string;
export declare function cliBundleOptions(root?: string): Record<string, unknown>;
export declare function newestSource(root?: string): number;
export declare function isStale(root?: string): boolean;
export declare function buildCli(root?: string): Promise<void>;
export declare function buildAll(root?: string): Promise<void>;
export declare function ensureBuilt(root?: string): Promise<boolean>;
