// The `kmip` KEK adapter: DEKs are wrapped and unwrapped by AES-256-GCM Encrypt/Decrypt inside a KMIP server,
// under a symmetric key that never leaves it (no Get is ever sent), over mutually authenticated TLS.
import { readFile } from 'node:fs/promises';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { DsvError } from '../../../errors/index.ts';
import type { KekProvider } from '../kek-provider.ts';
import { KmipClient, KmipOperationError } from './kmip-client.ts';
import { KmipTransportError } from './kmip-connection.ts';
import { formatVersion, type ProtocolVersion } from './kmip-protocol.ts';
import { decodeWrapped, encodeWrapped, unwrapFailed, wrapAad } from './kmip-wrap-format.ts';

export interface KmipKekOptions {
  readonly host: string;
  /** Default 5696, KMIP's registered port. */
  readonly port?: number;
  /** PEM file of the CA(s) that issued the server certificate (the system store is not used). */
  readonly caFile: string;
  /** PEM files of this node's client certificate and its private key (TLS client authentication). */
  readonly certFile: string;
  readonly keyFile: string;
  /** The name the server certificate must carry, when it is not `host`. */
  readonly serverName?: string;
  /** The KEK: its Unique Identifier, or its Name (exactly one of the two). */
  readonly keyUid?: string;
  readonly keyName?: string;
  /** With keyName: create (and activate) an AES-256 key of that name when none exists. Default false. */
  readonly createKeyIfMissing?: boolean;
  /** Skip Discover Versions and speak this version (2.0 or 2.1). Default: negotiated, 2.1 preferred. */
  readonly protocolVersion?: '2.0' | '2.1';
  /** Connect + handshake, and each request's answer. Default 5000 ms. */
  readonly timeoutMs?: number;
}

const PROBE_LENGTH = 32;

export class KmipKekProvider implements KekProvider {
  readonly kind = 'kmip';
  /** The KEK's Unique Identifier on the server; every wrapped DEK names it. */
  readonly keyUid: string;
  /** The KMIP version spoken with this server. */
  readonly protocolVersion: string;
  readonly #where: string;
  #client: KmipClient | undefined;
  /** A wrap of random bytes made at open: tells "this blob is bad" from "our key became unusable". */
  readonly #probe: Uint8Array;

  private constructor(client: KmipClient, keyUid: string, where: string, probe: Uint8Array) {
    this.#client = client;
    this.keyUid = keyUid;
    this.#where = where;
    this.#probe = probe;
    this.protocolVersion = formatVersion(client.version);
  }

  /**
   * Reads the TLS files, connects (TLS with the client certificate), settles the KMIP version, finds or creates
   * the key, then proves Encrypt and Decrypt with a round trip of random bytes. Any failure is
   * DSV_KEK_UNAVAILABLE naming the cause; the node must not serve.
   */
  static async open(options: KmipKekOptions): Promise<KmipKekProvider> {
    const port = options.port ?? 5696;
    const where = `KMIP server ${options.host}:${port}`;
    const fail = (reason: string, cause?: unknown): DsvError => unavailable(where, reason, cause);
    if ((options.keyUid === undefined) === (options.keyName === undefined)) {
      throw fail('configure exactly one of keyUid and keyName');
    }
    const [ca, cert, key] = await Promise.all([
      readPem(options.caFile, 'CA file', fail),
      readPem(options.certFile, 'client certificate file', fail),
      readPem(options.keyFile, 'client key file', fail),
    ]);
    let client: KmipClient;
    try {
      client = await KmipClient.connect(
        {
          host: options.host,
          port,
          ca,
          cert,
          key,
          timeoutMs: options.timeoutMs ?? 5000,
          ...(options.serverName === undefined ? {} : { serverName: options.serverName }),
        },
        parseVersion(options.protocolVersion),
      );
    } catch (error) {
      throw fail(describe(error), error);
    } finally {
      key.fill(0);
    }
    try {
      const uid = await resolveKey(client, options, fail);
      const probeBytes = randomBytes(PROBE_LENGTH);
      try {
        const aad = wrapAad(uid);
        const sealed = await client.encryptGcm(uid, probeBytes, aad);
        const back = await client.decryptGcm(uid, sealed, aad);
        const same = back.length === PROBE_LENGTH && timingSafeEqual(back, probeBytes);
        back.fill(0);
        if (!same) throw fail('a test Encrypt/Decrypt round trip returned other bytes');
        return new KmipKekProvider(client, uid, where, encodeWrapped(uid, sealed));
      } finally {
        probeBytes.fill(0);
      }
    } catch (error) {
      client.close();
      if (error instanceof DsvError) throw error;
      throw fail(`the key cannot encrypt and decrypt: ${describe(error)}`, error);
    }
  }

  async wrap(dek: Uint8Array): Promise<Uint8Array> {
    const client = this.#live();
    try {
      return encodeWrapped(this.keyUid, await client.encryptGcm(this.keyUid, dek, wrapAad(this.keyUid)));
    } catch (error) {
      throw unavailable(this.#where, `Encrypt failed: ${describe(error)}`, error);
    }
  }

  async unwrap(wrapped: Uint8Array): Promise<Uint8Array> {
    const decoded = decodeWrapped(wrapped);
    const client = this.#live();
    // Another key's blob is never sent: this provider holds one KEK (and the AAD names the key anyway).
    if (decoded.uid !== this.keyUid) throw unwrapFailed('foreign-key');
    let refused: KmipOperationError;
    try {
      return await client.decryptGcm(this.keyUid, decoded, wrapAad(this.keyUid));
    } catch (error) {
      if (!(error instanceof KmipOperationError)) {
        throw unavailable(this.#where, `Decrypt failed: ${describe(error)}`, error);
      }
      refused = error;
    }
    // The server refused. A failed GCM tag is reported differently by every server (PyKMIP: General
    // Failure), so ask whether our own probe still decrypts: then the blob is bad, else the key is.
    try {
      const probe = decodeWrapped(this.#probe);
      (await client.decryptGcm(this.keyUid, probe, wrapAad(this.keyUid))).fill(0);
    } catch (error) {
      throw unavailable(this.#where, `the key no longer decrypts its own probe: ${describe(error)}`, error);
    }
    const details: Record<string, string> = {};
    if (refused.reason !== undefined) details.kmipReason = String(refused.reason);
    throw unwrapFailed('rejected-by-kmip', details);
  }

  async close(): Promise<void> {
    this.#client?.close();
    this.#client = undefined;
  }

  /** Nothing secret lives here; keep the printed form small and stable (I-K1). */
  toJSON(): { kind: string; keyUid: string; protocolVersion: string } {
    return { kind: this.kind, keyUid: this.keyUid, protocolVersion: this.protocolVersion };
  }

  #live(): KmipClient {
    if (this.#client === undefined) {
      throw new DsvError('DSV_KEK_UNAVAILABLE', 'The kmip KEK provider is closed');
    }
    return this.#client;
  }
}

function unavailable(where: string, reason: string, cause?: unknown): DsvError {
  // Names the server and the cause (configuration, not secrets); never key bytes or the client key (I-K1).
  return new DsvError(
    'DSV_KEK_UNAVAILABLE',
    `${where} is unavailable: ${reason}`,
    cause === undefined ? {} : { cause },
  );
}

/** Transport and protocol errors carry only codes, reasons and the server's result message. */
function describe(error: unknown): string {
  if (error instanceof KmipOperationError || error instanceof KmipTransportError) return error.message;
  if (error instanceof DsvError) return error.message;
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
}

async function readPem(path: string, what: string, fail: (reason: string) => DsvError): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw fail(`cannot read the ${what} ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function parseVersion(version: '2.0' | '2.1' | undefined): ProtocolVersion | undefined {
  if (version === undefined) return undefined;
  return { major: 2, minor: version === '2.1' ? 1 : 0 };
}

async function resolveKey(
  client: KmipClient,
  options: KmipKekOptions,
  fail: (reason: string) => DsvError,
): Promise<string> {
  if (options.keyUid !== undefined) return options.keyUid;
  const name = options.keyName!;
  const found = await client.locateByName(name);
  if (found.length === 1) return found[0]!;
  if (found.length > 1) throw fail(`more than one key is named ${JSON.stringify(name)}; configure keyUid`);
  if (options.createKeyIfMissing !== true) {
    throw fail(`no key named ${JSON.stringify(name)} (set createKeyIfMissing to create one)`);
  }
  return client.createAes256(name);
}
