import type { Caller } from '../../control/index.ts';
// The operations a caller hands the coordinator in one all-or-nothing batch, and what comes back.
export type BatchOp =
  | {
      readonly op: 'create' | 'update';
      readonly namespace: string;
      readonly name: string;
      readonly value: Uint8Array;
      /** update only: compare-and-set on the latest version, decided in log order (v2 If-Match). */
      readonly expectedVersion?: number;
    }
  | {
      readonly op: 'delete';
      readonly namespace: string;
      readonly name: string;
      readonly expectedVersion?: number;
    }
  | { readonly op: 'read'; readonly namespace: string; readonly name: string; readonly version?: number };

export interface BatchOpResult {
  /** The version created (create/update), the version read, or the version deleted. */
  readonly version: number;
  /** For reads. */
  readonly value?: Uint8Array;
  /** For updates whose value equalled the latest version: no new version was made (DESIGN §5). */
  readonly unchanged?: boolean;
}

export interface BatchOptions {
  readonly idempotencyKey?: string;
  /** Who asked: holders and endorsers check this caller themselves (I-G3, I-T3). */
  readonly caller: Caller;
}
