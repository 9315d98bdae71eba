// The `aws-kms` KEK adapter: DEKs are wrapped by Encrypt/Decrypt under a symmetric AWS KMS key (DESIGN §8).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { DecryptCommand, DescribeKeyCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { DsvError } from '../../../errors/index.ts';
import type { KekProvider } from '../kek-provider.ts';
import { classifyKmsError, type KmsFailure } from './aws-kms-errors.ts';
import { DEK_WRAP_CONTEXT, decodeWrapped, encodeWrapped, unwrapFailed } from './aws-kms-wrap-format.ts';

export interface AwsKmsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface AwsKmsKekOptions {
  /** Key id, key ARN, alias name (`alias/dsv-node-1`) or alias ARN; resolved to the key ARN at open. */
  readonly keyId: string;
  readonly region: string;
  /** A KMS-compatible endpoint (VPC endpoint, FIPS endpoint, a local test server). Default: the region's. */
  readonly endpoint?: string;
  /** Default: the SDK's provider chain (env, profile, web identity, container/instance role). */
  readonly credentials?: AwsKmsCredentials;
  /** Per attempt: connect + answer. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Attempts per KMS call, first included. Default 3. */
  readonly maxAttempts?: number;
}

const ALGORITHM = 'SYMMETRIC_DEFAULT';
const PROBE_LENGTH = 32;

export class AwsKmsKekProvider implements KekProvider {
  readonly kind = 'aws-kms';
  /** The resolved key ARN: every call names it, and Decrypt answers must name it too. */
  readonly keyArn: string;
  readonly #options: AwsKmsKekOptions;
  #client: KMSClient | undefined;
  /** A ciphertext of our own, to tell "this blob is foreign" from "our key became unusable" (see unwrap). */
  readonly #probe: Uint8Array;

  private constructor(options: AwsKmsKekOptions, client: KMSClient, keyArn: string, probe: Uint8Array) {
    this.#options = options;
    this.#client = client;
    this.keyArn = keyArn;
    this.#probe = probe;
  }

  /**
   * Resolves the key, checks it is an enabled symmetric ENCRYPT_DECRYPT key (DescribeKey), then proves
   * kms:Encrypt and kms:Decrypt with a round trip of random bytes. Any failure → DSV_KEK_UNAVAILABLE naming the
   * cause (unreachable, credentials, not found, disabled, access denied); the node must not serve.
   */
  static async open(options: AwsKmsKekOptions): Promise<AwsKmsKekProvider> {
    checkEndpoint(options);
    const timeoutMs = options.timeoutMs ?? 5000;
    const client = new KMSClient({
      region: options.region,
      maxAttempts: options.maxAttempts ?? 3,
      // throwOnRequestTimeout: without it the SDK only logs a warning and a silent endpoint hangs forever.
      requestHandler: {
        connectionTimeout: Math.min(timeoutMs, 3000),
        requestTimeout: timeoutMs,
        throwOnRequestTimeout: true,
      },
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
    });
    try {
      const keyArn = await describeUsableKey(client, options);
      const probeBytes = randomBytes(PROBE_LENGTH);
      try {
        const probe = await encrypt(client, options, keyArn, probeBytes);
        const back = await decrypt(client, keyArn, probe);
        const same = back.length === PROBE_LENGTH && timingSafeEqual(back, probeBytes);
        back.fill(0);
        if (!same) throw unavailable(options, 'a test Encrypt/Decrypt round trip returned other bytes');
        return new AwsKmsKekProvider(options, client, keyArn, encodeWrapped(probe));
      } finally {
        probeBytes.fill(0);
      }
    } catch (error) {
      client.destroy();
      if (error instanceof DsvError && error.code === 'DSV_KEK_UNAVAILABLE') throw error;
      const reason = error instanceof DsvError ? 'KMS did not decrypt a test ciphertext of this key' : null;
      throw unavailable(options, reason ?? classifyKmsError(error).reason, error);
    }
  }

  async wrap(dek: Uint8Array): Promise<Uint8Array> {
    const client = this.#live();
    try {
      return encodeWrapped(await encrypt(client, this.#options, this.keyArn, dek));
    } catch (error) {
      if (error instanceof DsvError) throw error;
      throw unavailable(this.#options, classifyKmsError(error).reason, error);
    }
  }

  async unwrap(wrapped: Uint8Array): Promise<Uint8Array> {
    const blob = decodeWrapped(wrapped);
    const client = this.#live();
    let failure: KmsFailure;
    try {
      return await decrypt(client, this.keyArn, blob);
    } catch (error) {
      if (error instanceof DsvError) throw error;
      failure = classifyKmsError(error);
      if (failure.class === 'unavailable') throw unavailable(this.#options, failure.reason, error);
      if (failure.class === 'rejected') throw unwrapFailed('rejected-by-kms', failure.name);
    }
    // NotFound / AccessDenied name either our key or the key a foreign blob points at (moto, and KMS for
    // blobs of other accounts). If our own probe still decrypts, our key is fine and the blob is foreign.
    try {
      (await decrypt(client, this.keyArn, decodeWrapped(this.#probe))).fill(0);
    } catch (error) {
      const reason = error instanceof DsvError ? "KMS no longer decrypts this key's own ciphertext" : null;
      throw unavailable(this.#options, reason ?? classifyKmsError(error).reason, error);
    }
    throw unwrapFailed('foreign-key', failure.name);
  }

  async close(): Promise<void> {
    this.#client?.destroy();
    this.#client = undefined;
  }

  /** Nothing secret lives here, but keep the printed form small and stable (I-K1). */
  toJSON(): { kind: string; keyArn: string } {
    return { kind: this.kind, keyArn: this.keyArn };
  }

  #live(): KMSClient {
    if (this.#client === undefined) {
      throw new DsvError('DSV_KEK_UNAVAILABLE', 'The aws-kms KEK provider is closed');
    }
    return this.#client;
  }
}

function unavailable(options: AwsKmsKekOptions, reason: string, cause?: unknown): DsvError {
  // Names the key and region (configuration, not secrets); never the credentials (I-K1).
  return new DsvError(
    'DSV_KEK_UNAVAILABLE',
    `AWS KMS key ${options.keyId} (${options.region}) is unavailable: ${reason}`,
    cause === undefined ? {} : { cause },
  );
}

/** DEKs travel in the request body: plain HTTP is only acceptable to a server on this machine (I-K1). */
function checkEndpoint(options: AwsKmsKekOptions): void {
  if (options.endpoint === undefined) return;
  let url: URL;
  try {
    url = new URL(options.endpoint);
  } catch {
    throw unavailable(options, `the endpoint ${JSON.stringify(options.endpoint)} is not a URL`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) return;
  throw unavailable(options, `refusing the endpoint ${url.origin}: DEKs may only be sent over https`);
}

async function describeUsableKey(client: KMSClient, options: AwsKmsKekOptions): Promise<string> {
  const { KeyMetadata: key } = await client.send(new DescribeKeyCommand({ KeyId: options.keyId }));
  if (key?.Arn === undefined) throw unavailable(options, 'DescribeKey returned no key metadata');
  if (key.KeyState !== 'Enabled' || key.Enabled !== true) {
    throw unavailable(options, `the key is ${key.KeyState ?? 'not enabled'}`);
  }
  // KMS always reports both; moto leaves KeyUsage out for keys created without it. An absent field is let
  // through because open() goes on to prove the key with a real Encrypt/Decrypt round trip.
  const usage = key.KeyUsage ?? 'ENCRYPT_DECRYPT';
  const spec = key.KeySpec ?? ALGORITHM;
  if (usage !== 'ENCRYPT_DECRYPT' || spec !== ALGORITHM) {
    throw unavailable(
      options,
      `the key is ${spec} / ${usage}, not a symmetric (SYMMETRIC_DEFAULT) ENCRYPT_DECRYPT key`,
    );
  }
  return key.Arn;
}

async function encrypt(
  client: KMSClient,
  options: AwsKmsKekOptions,
  keyArn: string,
  plaintext: Uint8Array,
): Promise<Uint8Array> {
  const out = await client.send(
    new EncryptCommand({
      KeyId: keyArn,
      Plaintext: plaintext,
      EncryptionContext: { ...DEK_WRAP_CONTEXT },
      EncryptionAlgorithm: ALGORITHM,
    }),
  );
  if (out.CiphertextBlob === undefined || out.CiphertextBlob.length === 0 || out.KeyId !== keyArn) {
    throw unavailable(options, 'KMS answered Encrypt without a ciphertext for this key');
  }
  return out.CiphertextBlob;
}

/** Names the key and the context, so KMS itself refuses blobs of other keys and other purposes (I-K2). */
async function decrypt(client: KMSClient, keyArn: string, blob: Uint8Array): Promise<Uint8Array> {
  const out = await client.send(
    new DecryptCommand({
      KeyId: keyArn,
      CiphertextBlob: blob,
      EncryptionContext: { ...DEK_WRAP_CONTEXT },
      EncryptionAlgorithm: ALGORITHM,
    }),
  );
  if (out.Plaintext === undefined) throw unwrapFailed('rejected-by-kms');
  if (out.KeyId !== keyArn) {
    // Belt and braces: a server that ignored KeyId must not hand us another key's plaintext as ours.
    out.Plaintext.fill(0);
    throw unwrapFailed('foreign-key');
  }
  return out.Plaintext;
}
