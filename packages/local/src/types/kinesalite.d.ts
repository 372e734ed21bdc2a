declare module 'kinesalite' {
  import type { Server } from 'node:http';

  interface KinesaliteOptions {
    /** How long a stream stays CREATING, DELETING or UPDATING (default 500 ms each). */
    createStreamMs?: number;
    deleteStreamMs?: number;
    updateStreamMs?: number;
    /** Shards per account (default 10). */
    shardLimit?: number;
    /** A LevelDB directory; without it the streams live in memory. */
    path?: string;
  }

  /** An HTTP server (not listening yet) whose `close` also closes the store. */
  export default function kinesalite(options?: KinesaliteOptions): Server;
}
