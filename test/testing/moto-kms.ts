// Test helper: KMS keys on a moto server (region, throwaway credentials, CreateKey) for the aws-kms adapter tests.
import assert from 'node:assert/strict';
import { CreateKeyCommand, KMSClient, type CreateKeyCommandInput } from '@aws-sdk/client-kms';

export const MOTO_REGION = 'eu-west-1';
/** moto accepts any credentials; a distinctive secret lets tests check it never shows up in errors (I-K1). */
export const MOTO_CREDENTIALS = {
  accessKeyId: 'AKIADSVTEST00000000',
  secretAccessKey: 'dsv-test-secret-must-not-leak',
} as const;

/** An SDK client for setting up keys, aliases and key states; destroy() it when done. */
export function motoKmsClient(endpoint: string): KMSClient {
  return new KMSClient({ region: MOTO_REGION, endpoint, credentials: MOTO_CREDENTIALS });
}

/** Creates a KMS key (symmetric ENCRYPT_DECRYPT unless `input` says otherwise) and returns its key id. */
export async function createMotoKey(endpoint: string, input: CreateKeyCommandInput = {}): Promise<string> {
  const client = motoKmsClient(endpoint);
  try {
    const { KeyMetadata } = await client.send(new CreateKeyCommand({ Description: 'dsv test', ...input }));
    if (KeyMetadata?.KeyId === undefined) throw new Error('CreateKey returned no key id');
    return KeyMetadata.KeyId;
  } finally {
    client.destroy();
  }
}

/** For assert.rejects: DSV_KEK_UNAVAILABLE (503) naming the cause, and no credentials anywhere in it (I-K1). */
export function expectKekUnavailable(message: RegExp): (error: unknown) => boolean {
  return (error) => {
    const e = error as { code: string; status: number; message: string; stack?: string; cause?: unknown };
    assert.equal(e.code, 'DSV_KEK_UNAVAILABLE');
    assert.equal(e.status, 503);
    assert.match(e.message, message);
    const text = `${e.message} ${e.stack ?? ''} ${JSON.stringify(error)} ${String(e.cause)}`;
    assert.ok(!text.includes(MOTO_CREDENTIALS.secretAccessKey), 'I-K1: credentials never appear in errors');
    return true;
  };
}
