// KMIP request and response messages for the few operations the kmip KEK provider uses (KMIP 2.0 / 2.1: both
// encode these operations identically; 1.x differs in Create/Locate attributes and is not spoken).
import {
  TtlvError,
  childrenOf,
  enumeration,
  integer,
  optionalChild,
  requiredChild,
  structure,
  type TtlvItem,
} from './ttlv.ts';

/** Tags (KMIP 2.1 §9.1.3.1), checked against PyKMIP's `kmip.core.enums.Tags`. */
export const Tag = {
  attributes: 0x420125,
  authenticatedEncryptionAdditionalData: 0x4200fe,
  authenticatedEncryptionTag: 0x4200ff,
  batchCount: 0x42000d,
  batchItem: 0x42000f,
  blockCipherMode: 0x420011,
  cryptographicAlgorithm: 0x420028,
  cryptographicLength: 0x42002a,
  cryptographicParameters: 0x42002b,
  cryptographicUsageMask: 0x42002c,
  data: 0x4200c2,
  ivCounterNonce: 0x42003d,
  maximumItems: 0x42004f,
  name: 0x420053,
  nameType: 0x420054,
  nameValue: 0x420055,
  objectType: 0x420057,
  operation: 0x42005c,
  protocolVersion: 0x420069,
  protocolVersionMajor: 0x42006a,
  protocolVersionMinor: 0x42006b,
  randomIv: 0x4200c5,
  requestHeader: 0x420077,
  requestMessage: 0x420078,
  requestPayload: 0x420079,
  responseHeader: 0x42007a,
  responseMessage: 0x42007b,
  responsePayload: 0x42007c,
  resultMessage: 0x42007d,
  resultReason: 0x42007e,
  resultStatus: 0x42007f,
  revocationReason: 0x420081,
  revocationReasonCode: 0x420082,
  tagLength: 0x4200ce,
  uniqueBatchItemId: 0x420093,
  uniqueIdentifier: 0x420094,
} as const;

export const Operation = {
  create: 0x01,
  locate: 0x08,
  activate: 0x12,
  revoke: 0x13,
  destroy: 0x14,
  discoverVersions: 0x1e,
  encrypt: 0x1f,
  decrypt: 0x20,
} as const;
export type OperationName = keyof typeof Operation;

export const ObjectType = { symmetricKey: 0x02 } as const;
export const CryptographicAlgorithm = { aes: 0x03 } as const;
export const BlockCipherMode = { gcm: 0x09 } as const;
export const UsageMask = { encrypt: 0x04, decrypt: 0x08 } as const;
export const NameType = { uninterpretedTextString: 0x01 } as const;
export const RevocationReasonCode = { cessationOfOperation: 0x06 } as const;
export const ResultStatus = {
  success: 0,
  operationFailed: 1,
  operationPending: 2,
  operationUndone: 3,
} as const;

/** Result Reason names (KMIP 2.1 §11.28) for messages and details; unknown values print as hex. */
const RESULT_REASONS: Readonly<Record<number, string>> = {
  0x01: 'Item Not Found',
  0x02: 'Response Too Large',
  0x03: 'Authentication Not Successful',
  0x04: 'Invalid Message',
  0x05: 'Operation Not Supported',
  0x06: 'Missing Data',
  0x07: 'Invalid Field',
  0x08: 'Feature Not Supported',
  0x09: 'Operation Canceled By Requester',
  0x0a: 'Cryptographic Failure',
  0x0b: 'Illegal Operation',
  0x0c: 'Permission Denied',
  0x0d: 'Object Archived',
  0x18: 'Object Already Exists',
  0x24: 'Bad Cryptographic Parameters',
  0x26: 'Codec Error',
  0x2a: 'Internal Server Error',
  0x34: 'Missing Initialization Vector',
  0x35: 'Non Unique Name Attribute',
  0x36: 'Object Destroyed',
  0x37: 'Object Not Found',
  0x39: 'Not Authorised',
  0x3e: 'Unsupported Cryptographic Parameters',
  0x3f: 'Unsupported Protocol Version',
  0x43: 'Wrong Key Lifecycle State',
  0x100: 'General Failure',
};

export function resultReasonName(reason: number | undefined): string {
  if (reason === undefined) return 'no reason given';
  return RESULT_REASONS[reason] ?? `reason 0x${reason.toString(16)}`;
}

export interface ProtocolVersion {
  readonly major: number;
  readonly minor: number;
}

export const formatVersion = (v: ProtocolVersion): string => `${v.major}.${v.minor}`;

export function protocolVersionItem(version: ProtocolVersion): TtlvItem {
  return structure(
    Tag.protocolVersion,
    integer(Tag.protocolVersionMajor, version.major),
    integer(Tag.protocolVersionMinor, version.minor),
  );
}

export function readProtocolVersion(item: TtlvItem): ProtocolVersion {
  return {
    major: requiredChild(item, Tag.protocolVersionMajor, 'integer').value,
    minor: requiredChild(item, Tag.protocolVersionMinor, 'integer').value,
  };
}

export interface BatchRequest {
  readonly operation: OperationName;
  /** The Request Payload's children. */
  readonly payload: readonly (TtlvItem | undefined)[];
}

/** A Request Message: header (version, batch count) and one Batch Item per request, numbered 1…n. */
export function requestMessage(version: ProtocolVersion, batch: readonly BatchRequest[]): TtlvItem {
  return structure(
    Tag.requestMessage,
    structure(Tag.requestHeader, protocolVersionItem(version), integer(Tag.batchCount, batch.length)),
    ...batch.map((item, index) =>
      structure(
        Tag.batchItem,
        enumeration(Tag.operation, Operation[item.operation]),
        batchItemId(index),
        structure(Tag.requestPayload, ...item.payload),
      ),
    ),
  );
}

function batchItemId(index: number): TtlvItem {
  const id = Buffer.alloc(4);
  id.writeUInt32BE(index + 1);
  return { tag: Tag.uniqueBatchItemId, type: 'byteString', value: id };
}

export interface BatchResult {
  readonly operation: number | undefined;
  readonly status: number;
  readonly reason: number | undefined;
  /** The server's Result Message: for logs and errors; servers put no key material there. */
  readonly message: string | undefined;
  readonly payload: TtlvItem | undefined;
}

export interface ResponseMessage {
  readonly version: ProtocolVersion;
  readonly items: readonly BatchResult[];
}

/** Parses a Response Message; `expected` batch items, matched by Unique Batch Item ID when the server echoes it. */
export function parseResponse(message: TtlvItem, expected: number): ResponseMessage {
  if (message.tag !== Tag.responseMessage) throw new TtlvError('not a KMIP Response Message');
  const header = requiredChild(message, Tag.responseHeader, 'structure');
  const version = readProtocolVersion(requiredChild(header, Tag.protocolVersion, 'structure'));
  const batch = childrenOf(message, Tag.batchItem);
  const count = requiredChild(header, Tag.batchCount, 'integer').value;
  if (count !== batch.length) throw new TtlvError(`batch count ${count} but ${batch.length} batch items`);
  const items = batch.map((item, index) => {
    const id = optionalChild(item, Tag.uniqueBatchItemId, 'byteString');
    if (id !== undefined && Buffer.compare(id.value, batchItemId(index).value as Uint8Array) !== 0) {
      throw new TtlvError(`batch item ${index + 1} answers another request item`);
    }
    return {
      operation: optionalChild(item, Tag.operation, 'enumeration')?.value,
      status: requiredChild(item, Tag.resultStatus, 'enumeration').value,
      reason: optionalChild(item, Tag.resultReason, 'enumeration')?.value,
      message: optionalChild(item, Tag.resultMessage, 'textString')?.value,
      payload: optionalChild(item, Tag.responsePayload, 'structure'),
    };
  });
  // A server that cannot parse the request at all answers one error item (PyKMIP does); let the caller see it.
  if (items.length !== expected && !(items.length === 1 && items[0]!.status !== ResultStatus.success)) {
    throw new TtlvError(`${items.length} batch items answer a request of ${expected}`);
  }
  return { version, items };
}
