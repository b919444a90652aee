// The writers' libraries load when an export starts (create), not with the engine: hyparquet-writer alone
// takes 50–100 ms to import, which every command (a one-off `winnow search` too) would otherwise pay.
export type ParquetLib = typeof import('hyparquet-writer');
export type TarLib = typeof import('tar-stream');

let parquet: Promise<ParquetLib> | undefined;
let tar: Promise<TarLib> | undefined;

export const loadParquetLib = (): Promise<ParquetLib> => (parquet ??= import('hyparquet-writer'));
export const loadTarLib = (): Promise<TarLib> => (tar ??= import('tar-stream'));
