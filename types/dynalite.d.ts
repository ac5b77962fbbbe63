// dynalite ships no types; this is the part klingflow uses.
declare module 'dynalite' {
  import type { Server } from 'node:http';
  interface DynaliteOptions {
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    /**
     * Options of the LevelDB database under `path` (classic-level's open options: `cacheSize`, `writeBufferSize`...).
     * Added by patches/dynalite+4.0.0.patch: dynalite itself opens LevelDB with the defaults.
     */
    levelOptions?: { cacheSize?: number; writeBufferSize?: number };
  }
  export default function dynalite(options?: DynaliteOptions): Server;
}
