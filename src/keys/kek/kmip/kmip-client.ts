// The KMIP operations the kmip KEK provider needs, over one KmipConnection: Discover Versions, Locate, Create +
// Activate, Encrypt / Decrypt (AES-GCM inside the server), Revoke + Destroy. No operation returns key material.
import { KmipConnection, KmipTransportError, type KmipTlsOptions } from './kmip-connection.ts';
import {
  BlockCipherMode,
  CryptographicAlgorithm,
  NameType,
  ObjectType,
  RevocationReasonCode,
  ResultStatus,
  Tag,
  UsageMask,
  formatVersion,
  parseResponse,
  protocolVersionItem,
  readProtocolVersion,
  requestMessage,
  resultReasonName,
  type BatchRequest,
  type BatchResult,
  type OperationName,
  type ProtocolVersion,
} from './kmip-protocol.ts';
import {
  TtlvError,
  boolean,
  byteString,
  childrenOf,
  decodeTtlv,
  encodeTtlv,
  enumeration,
  integer,
  optionalChild,
  requiredChild,
  structure,
  textString,
  type TtlvItem,
} from './ttlv.ts';

/** What this client speaks, preferred first. 2.0 and 2.1 encode every operation used here identically. */
export const SUPPORTED_VERSIONS: readonly ProtocolVersion[] = [
  { major: 2, minor: 1 },
  { major: 2, minor: 0 },
];

/** The server answered, and refused: the operation's Result Reason and Message. */
export class KmipOperationError extends Error {
  override readonly name = 'KmipOperationError';
  readonly operation: OperationName;
  readonly reason: number | undefined;
  readonly resultMessage: string | undefined;
  constructor(operation: OperationName, reason: number | undefined, resultMessage: string | undefined) {
    super(
      `KMIP ${operation} failed: ${resultReasonName(reason)}` +
        (resultMessage === undefined ? '' : ` (${shorten(resultMessage)})`),
    );
    this.operation = operation;
    this.reason = reason;
    this.resultMessage = resultMessage;
  }
}

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

/**
 * GCM as the provider uses it: AES, a 16-byte tag, the IV chosen by the server. Fields in the order of KMIP 2.1
 * §2.1.11 (servers such as PyKMIP read them in that order only).
 */
function gcmParameters(withRandomIv: boolean): TtlvItem {
  return structure(
    Tag.cryptographicParameters,
    enumeration(Tag.blockCipherMode, BlockCipherMode.gcm),
    enumeration(Tag.cryptographicAlgorithm, CryptographicAlgorithm.aes),
    withRandomIv ? boolean(Tag.randomIv, true) : undefined,
    integer(Tag.tagLength, GCM_TAG_BYTES),
  );
}

export const GCM_TAG_BYTES = 16;

export interface GcmSealed {
  readonly iv: Uint8Array;
  readonly tag: Uint8Array;
  readonly ciphertext: Uint8Array;
}

export class KmipClient {
  readonly #connection: KmipConnection;
  /** The version this client speaks with the server (negotiated by Discover Versions, or configured). */
  readonly version: ProtocolVersion;

  private constructor(connection: KmipConnection, version: ProtocolVersion) {
    this.#connection = connection;
    this.version = version;
  }

  /**
   * Connects and settles the protocol version: `version` when given, else Discover Versions offering 2.1
   * and 2.0, sent under a 2.1 header and then a 2.0 one (a server refuses a header of a version it lacks).
   */
  static async connect(tls: KmipTlsOptions, version?: ProtocolVersion): Promise<KmipClient> {
    const connection = new KmipConnection(tls);
    try {
      return new KmipClient(connection, version ?? (await negotiate(connection)));
    } catch (error) {
      connection.close();
      throw error;
    }
  }

  close(): void {
    this.#connection.close();
  }

  /** Unique Identifiers of the symmetric keys named `name` visible to this client. */
  async locateByName(name: string): Promise<string[]> {
    const [payload] = await this.#call([
      {
        operation: 'locate',
        payload: [
          integer(Tag.maximumItems, 2),
          structure(Tag.attributes, enumeration(Tag.objectType, ObjectType.symmetricKey), nameItem(name)),
        ],
      },
    ]);
    return childrenOf(payload!, Tag.uniqueIdentifier).map((item) => {
      if (item.type !== 'textString') throw new TtlvError('a Unique Identifier is not a text string');
      return item.value;
    });
  }

  /**
   * Creates an AES-256 key for Encrypt/Decrypt only, named `name`, then activates it. Two requests: PyKMIP
   * does not take Activate without a Unique Identifier, so the ID placeholder of a batch cannot be used.
   */
  async createAes256(name: string): Promise<string> {
    const [created] = await this.#call([
      {
        operation: 'create',
        payload: [
          enumeration(Tag.objectType, ObjectType.symmetricKey),
          structure(
            Tag.attributes,
            enumeration(Tag.cryptographicAlgorithm, CryptographicAlgorithm.aes),
            integer(Tag.cryptographicLength, 256),
            integer(Tag.cryptographicUsageMask, UsageMask.encrypt | UsageMask.decrypt),
            nameItem(name),
          ),
        ],
      },
    ]);
    const uid = requiredChild(created!, Tag.uniqueIdentifier, 'textString').value;
    await this.#call([{ operation: 'activate', payload: [textString(Tag.uniqueIdentifier, uid)] }]);
    return uid;
  }

  async encryptGcm(uid: string, plaintext: Uint8Array, aad: Uint8Array): Promise<GcmSealed> {
    const [payload] = await this.#call([
      {
        operation: 'encrypt',
        payload: [
          textString(Tag.uniqueIdentifier, uid),
          gcmParameters(true),
          byteString(Tag.data, plaintext),
          byteString(Tag.authenticatedEncryptionAdditionalData, aad),
        ],
      },
    ]);
    this.#sameKey(payload!, uid, 'encrypt');
    const ciphertext = requiredChild(payload!, Tag.data, 'byteString').value;
    const iv = requiredChild(payload!, Tag.ivCounterNonce, 'byteString').value;
    const tag = requiredChild(payload!, Tag.authenticatedEncryptionTag, 'byteString').value;
    if (ciphertext.length !== plaintext.length || tag.length !== GCM_TAG_BYTES || iv.length < 12) {
      throw new TtlvError('the Encrypt answer is not AES-GCM output of the expected shape');
    }
    return { iv, tag, ciphertext };
  }

  /** The plaintext, or KmipOperationError when the server refuses (tampered input fails the GCM tag there). */
  async decryptGcm(uid: string, sealed: GcmSealed, aad: Uint8Array): Promise<Uint8Array> {
    const [payload] = await this.#call([
      {
        operation: 'decrypt',
        payload: [
          textString(Tag.uniqueIdentifier, uid),
          gcmParameters(false),
          byteString(Tag.data, sealed.ciphertext),
          byteString(Tag.ivCounterNonce, sealed.iv),
          byteString(Tag.authenticatedEncryptionAdditionalData, aad),
          byteString(Tag.authenticatedEncryptionTag, sealed.tag),
        ],
      },
    ]);
    this.#sameKey(payload!, uid, 'decrypt');
    const plaintext = requiredChild(payload!, Tag.data, 'byteString').value;
    if (plaintext.length !== sealed.ciphertext.length) {
      plaintext.fill(0);
      throw new TtlvError('the Decrypt answer has the wrong length');
    }
    return plaintext;
  }

  /** Revoke (cessation of operation) then Destroy: the key can never encrypt or decrypt again. */
  async revokeAndDestroy(uid: string): Promise<void> {
    await this.#call([
      {
        operation: 'revoke',
        payload: [
          textString(Tag.uniqueIdentifier, uid),
          structure(
            Tag.revocationReason,
            enumeration(Tag.revocationReasonCode, RevocationReasonCode.cessationOfOperation),
          ),
        ],
      },
    ]);
    await this.#call([{ operation: 'destroy', payload: [textString(Tag.uniqueIdentifier, uid)] }]);
  }

  #sameKey(payload: TtlvItem, uid: string, operation: string): void {
    const answered = optionalChild(payload, Tag.uniqueIdentifier, 'textString')?.value;
    if (answered !== undefined && answered !== uid) {
      throw new TtlvError(`the ${operation} answer names another key`);
    }
  }

  /** Sends a batch; resolves with each item's payload, or throws for the first failed item. */
  async #call(batch: readonly BatchRequest[]): Promise<(TtlvItem | undefined)[]> {
    const results = await send(this.#connection, this.version, batch);
    return results.map((result, index) => {
      const operation = batch[index]?.operation ?? batch[0]!.operation;
      if (result.status !== ResultStatus.success) {
        throw new KmipOperationError(operation, result.reason, result.message);
      }
      if (result.payload === undefined) {
        throw new TtlvError(`the ${operation} answer has no payload`);
      }
      return result.payload;
    });
  }
}

function nameItem(name: string): TtlvItem {
  return structure(
    Tag.name,
    textString(Tag.nameValue, name),
    enumeration(Tag.nameType, NameType.uninterpretedTextString),
  );
}

async function send(
  connection: KmipConnection,
  version: ProtocolVersion,
  batch: readonly BatchRequest[],
): Promise<readonly BatchResult[]> {
  const request = encodeTtlv(requestMessage(version, batch));
  let response: Buffer;
  try {
    response = await connection.roundTrip(request);
  } finally {
    request.fill(0); // an Encrypt request carries the DEK
  }
  try {
    return parseResponse(decodeTtlv(response), batch.length).items;
  } catch (error) {
    throw new KmipTransportError(`malformed KMIP response: ${(error as Error).message}`, undefined, error);
  } finally {
    response.fill(0);
  }
}

async function negotiate(connection: KmipConnection): Promise<ProtocolVersion> {
  const offered = SUPPORTED_VERSIONS.map(protocolVersionItem);
  const refusals: string[] = [];
  for (const header of SUPPORTED_VERSIONS) {
    const [result] = await send(connection, header, [{ operation: 'discoverVersions', payload: offered }]);
    if (result!.status !== ResultStatus.success || result!.payload === undefined) {
      refusals.push(`${formatVersion(header)} header: ${resultReasonName(result!.reason)}`);
      continue;
    }
    const served = childrenOf(result!.payload, Tag.protocolVersion).map(readProtocolVersion);
    // The server lists what it supports of our offer, its preference first.
    const chosen = served.find((v) =>
      SUPPORTED_VERSIONS.some((s) => s.major === v.major && s.minor === v.minor),
    );
    if (chosen !== undefined) return chosen;
    const listed = served.map(formatVersion).join(', ') || 'none';
    throw new KmipOperationError(
      'discoverVersions',
      undefined,
      `the server speaks none of ${SUPPORTED_VERSIONS.map(formatVersion).join(', ')} (it lists ${listed})`,
    );
  }
  throw new KmipOperationError(
    'discoverVersions',
    undefined,
    `the server refused KMIP ${SUPPORTED_VERSIONS.map(formatVersion).join(' and ')} (${refusals.join('; ')})`,
  );
}
