// The log record envelope (trust-boundaries design §2; I-L5 authenticated, I-L7 confidential): the producing
// node's Ed25519 signature over the cluster, the partition and the AES-256-GCM sealed body.
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { OPERATOR, publicKeyOf, type ClusterManifest } from './cluster-identity.ts';
import { signEd25519, verifyEd25519 } from './signature-verdicts.ts';

const MAGIC = Buffer.from('DSV2', 'ascii');
const DOMAIN = Buffer.from('dsv/log-record/v2', 'ascii');
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const SIGNATURE_BYTES = 64;

export interface RecordSigner {
  /** A member node id, or OPERATOR. */
  readonly signer: string;
  readonly privateKey: KeyObject;
}

/** Why a record was not accepted; each is a deterministic no-op on every node (I-L6). */
export type RecordRejection =
  | 'not-an-envelope'
  /** "DSV" and a later format digit: a newer DSV wrote it (issue #13); this node must be upgraded. */
  | 'newer-format'
  | 'unknown-signer'
  | 'bad-signature'
  | 'undecryptable';

/** 'DSV' followed by the format digit: '2' is this build's envelope; a higher digit is a newer release's. */
function isNewerFormat(bytes: Uint8Array): boolean {
  const digit = bytes[MAGIC.length - 1] ?? 0;
  return (
    bytes.length >= MAGIC.length &&
    Buffer.from(bytes.subarray(0, MAGIC.length - 1)).equals(MAGIC.subarray(0, MAGIC.length - 1)) &&
    digit > (MAGIC[MAGIC.length - 1] ?? 0x39) &&
    digit <= 0x39
  );
}

export type OpenedRecord =
  | { readonly ok: true; readonly signer: string; readonly body: unknown }
  | { readonly ok: false; readonly reason: RecordRejection };

function context(clusterId: string, partition: number): Buffer {
  const id = Buffer.from(clusterId, 'utf8');
  const head = Buffer.alloc(8);
  head.writeUInt32BE(id.length, 0);
  head.writeUInt32BE(partition, 4);
  return Buffer.concat([DOMAIN, head.subarray(0, 4), id, head.subarray(4)]);
}

/** Seals `body` for `partition` of this cluster's log, signed by `signer`. */
export function sealRecord(
  signer: RecordSigner,
  manifest: Pick<ClusterManifest, 'clusterId'>,
  logKey: Uint8Array | KeyObject,
  partition: number,
  body: object,
): Uint8Array {
  const signerBytes = Buffer.from(signer.signer, 'utf8');
  if (signerBytes.length > 255) throw new RangeError('signer id too long');
  const nonce = randomBytes(NONCE_BYTES);
  const header = Buffer.concat([MAGIC, Buffer.from([signerBytes.length]), signerBytes, nonce]);
  const bound = context(manifest.clusterId, partition);
  const cipher = createCipheriv('aes-256-gcm', logKey, nonce);
  cipher.setAAD(Buffer.concat([bound, header]));
  const sealed = Buffer.concat([
    cipher.update(JSON.stringify(body), 'utf8'),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  const unsigned = Buffer.concat([header, sealed]);
  const signature = signEd25519(signer.privateKey, Buffer.concat([bound, unsigned]));
  return new Uint8Array(Buffer.concat([unsigned, signature]));
}

/** Verifies and opens records of one cluster; the signer keys come from its manifest. */
export class RecordOpener {
  private readonly clusterId: string;
  private readonly logKey: KeyObject;
  private readonly keys = new Map<string, KeyObject>();

  constructor(manifest: ClusterManifest, logKey: Uint8Array) {
    this.clusterId = manifest.clusterId;
    this.logKey = createSecretKey(logKey); // one KeyObject, not one per record
    this.keys.set(OPERATOR, publicKeyOf(manifest.operatorKey));
    for (const member of manifest.members) this.keys.set(member.nodeId, publicKeyOf(member.signingKey));
  }

  open(partition: number, value: Uint8Array): OpenedRecord {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    const minimum = MAGIC.length + 1 + NONCE_BYTES + TAG_BYTES + SIGNATURE_BYTES;
    if (isNewerFormat(bytes)) return { ok: false, reason: 'newer-format' };
    if (bytes.length < minimum || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
      return { ok: false, reason: 'not-an-envelope' };
    }
    const signerLength = bytes[MAGIC.length] ?? 0;
    const headerEnd = MAGIC.length + 1 + signerLength + NONCE_BYTES;
    if (bytes.length < headerEnd + TAG_BYTES + SIGNATURE_BYTES)
      return { ok: false, reason: 'not-an-envelope' };
    const signer = bytes.subarray(MAGIC.length + 1, MAGIC.length + 1 + signerLength).toString('utf8');
    const key = this.keys.get(signer);
    if (!key) return { ok: false, reason: 'unknown-signer' };
    const signedEnd = bytes.length - SIGNATURE_BYTES;
    const bound = context(this.clusterId, partition);
    const message = Buffer.concat([bound, bytes.subarray(0, signedEnd)]);
    if (!verifyEd25519(key, message, bytes.subarray(signedEnd)))
      return { ok: false, reason: 'bad-signature' };
    try {
      const nonce = bytes.subarray(headerEnd - NONCE_BYTES, headerEnd);
      const decipher = createDecipheriv('aes-256-gcm', this.logKey, nonce);
      decipher.setAAD(Buffer.concat([bound, bytes.subarray(0, headerEnd)]));
      decipher.setAuthTag(bytes.subarray(signedEnd - TAG_BYTES, signedEnd));
      const plain = Buffer.concat([
        decipher.update(bytes.subarray(headerEnd, signedEnd - TAG_BYTES)),
        decipher.final(),
      ]);
      return { ok: true, signer, body: JSON.parse(plain.toString('utf8')) as unknown };
    } catch {
      return { ok: false, reason: 'undecryptable' };
    }
  }
}
