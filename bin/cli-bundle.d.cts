export declare const CLI_BUNDLE: string;
export declare const CLI_BUNDLE_INPUTS: string;
export declare function freshCliBundle(): string | null;
export declare function freshCliBundleAsync(): Promise<string | null>;
export declare const PREPROCESS_WORKER_BUNDLE: string;
export declare const PREPROCESS_WORKER_INPUTS: string;
export declare function freshPreprocessWorkerBundle(): string | null;
