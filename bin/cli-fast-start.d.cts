export declare const CLI_FAST_BUNDLE: string;
export declare function traceStart(how: string): void;
export declare function codeCachePath(bundle: string): string;
export interface CompiledBundle { bundle: string; cache: 'accepted' | 'rejected' | 'missing' }
export declare function compileFastBundle(bundle?: string): CompiledBundle | null;
export declare function runFastBundle(compiled: CompiledBundle): 'accepted' | 'rejected' | 'missing';
export declare function startFastBundle(bundle?: string): 'accepted' | 'rejected' | 'missing' | null;
export declare function buildCodeCache(bundle?: string): void;
