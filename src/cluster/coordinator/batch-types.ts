// The operations a caller hands the coordinator in one all-or-nothing batch, and what comes back.
export type BatchOp =
  | {
      readonly op: 'create' | 'update';
      readonly namespace: string;
      readonly name: string;
      readonly value: Uint8Array;
    }
  | { readonly op: 'delete'; readonly namespace: string; readonly name: string }
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
}
