// The shared kernel: names that several contexts use and none owns — a secret's key and an intent's
// operations. A leaf: it imports nothing, so view, shards and secrets can all depend on it without a cycle.

/** A secret's identity. Fields are kept apart everywhere; they are never joined with a separator (§4). */
export interface SecretKey {
  readonly tenant: string;
  readonly namespace: string;
  readonly name: string;
}

export type WriteOpKind = 'create' | 'update' | 'delete';

/** One operation of an intent. `read` ops resolve a version at the intent's log position (.env snapshots). */
export type IntentOp =
  | {
      readonly op: WriteOpKind;
      readonly namespace: string;
      readonly name: string;
      /** Compare-and-set: the write applies only if the latest version is exactly this (DESIGN §9 If-Match). */
      readonly expectedVersion?: number;
    }
  | { readonly op: 'read'; readonly namespace: string; readonly name: string; readonly version?: number };
