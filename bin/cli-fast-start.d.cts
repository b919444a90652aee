export declare const CLI_FAST_BUNDLE: string;
export declare function traceStart(how: string): void;
export declare function codeCachePath(bundle: string): string;
export declare function startFastBundle(bundle?: string): 'accepted' | 'rejected' | 'missing' | null;
export declare function buildCodeCache(bundle?: string): void;
