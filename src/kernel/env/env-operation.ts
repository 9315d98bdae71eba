// The parsed form of a .env transform file: one operation per actionable line, in file order (DESIGN §10).

/**
 * One actionable line of a .env file. `line` is the 1-based physical line number (blank and comment lines
 * count), unique within a file, and is the key under which the executor hands back resolved values.
 * The secret name of `create`, `update` and `delete` is `key` itself.
 */
export type EnvOperation =
  /**
   * `KEY=new:value` (output `value`: `KEY=value`) or `NAME=enc(value)` (output `reference`:
   * `NAME=secret(NAME)`). `value` may be empty.
   */
  | {
      readonly kind: 'create';
      readonly line: number;
      readonly key: string;
      readonly value: string;
      readonly output: 'value' | 'reference';
      /** `export NAME=enc(…)`: the output line keeps the `export ` prefix. */
      readonly exported?: true;
    }
  /** `KEY=update:value`; output `KEY=value`. `value` may be empty. */
  | { readonly kind: 'update'; readonly line: number; readonly key: string; readonly value: string }
  /**
   * `KEY=get`, `KEY=get:N` (name = key, output `raw`: `KEY=<value>` byte for byte, as the original did) or
   * `X=secret(NAME)`, `X=secret(NAME, version=N)` (output `dotenv`: `X=<value>`, double-quoted when the
   * value would not survive a dotenv reader unquoted). `version` is absent for the latest version, else ≥ 1.
   */
  | {
      readonly kind: 'get';
      readonly line: number;
      readonly key: string;
      readonly name: string;
      readonly version?: number;
      readonly output: 'raw' | 'dotenv';
      /** `export X=secret(…)`: the output line keeps the `export ` prefix. */
      readonly exported?: true;
    }
  /** `KEY=delete` (or the original's tolerated `KEY=delete:ignored`); no output line. */
  | { readonly kind: 'delete'; readonly line: number; readonly key: string };

export type EnvOperationKind = EnvOperation['kind'];

/** Default cap on operations per file: bounds the size of one all-or-nothing batch (DESIGN §10, §11). */
export const MAX_ENV_OPERATIONS = 1000;

export interface ParseEnvOptions {
  /** Overrides MAX_ENV_OPERATIONS (e.g. from node config). */
  readonly maxOperations?: number;
}
