// The optional KEK identity capability: which KEK wrapped a keyring row, named without any key bytes (DESIGN §8).
import type { KekProvider } from '../kek/kek-provider.ts';

/**
 * A provider that can name its KEK. `ref` must differ between different KEKs and stay the same for the same
 * KEK across restarts, and must not reveal key material (local: a hash of the verifier; an HSM: token and key
 * label plus a check value; KMS: the key ARN). KEK rotation needs it on the target provider.
 */
export interface IdentifiedKek {
  readonly ref: string;
}

/** The provider's `ref`, or `undefined` for a provider without the capability. */
export function kekRefOf(kek: KekProvider): string | undefined {
  const ref = (kek as KekProvider & Partial<IdentifiedKek>).ref;
  return typeof ref === 'string' && ref.length > 0 ? ref : undefined;
}
