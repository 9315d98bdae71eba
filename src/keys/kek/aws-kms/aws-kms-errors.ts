// What an AWS KMS (SDK) failure means for DSV: a rejected ciphertext, a question to settle, or an unusable key.

/**
 * - `rejected`: KMS refused this ciphertext (tampered, truncated, other key, other context) → DSV_KEY_UNWRAP_FAILED.
 * - `ambiguous`: the key is unknown or access is denied — about our key, or about the key a foreign blob
 *   names; during unwrap the provider settles it by decrypting its own probe blob.
 * - `unavailable`: KMS, the network, the credentials or the key's state is the problem → DSV_KEK_UNAVAILABLE.
 */
export type KmsFailureClass = 'rejected' | 'ambiguous' | 'unavailable';

export interface KmsFailure {
  readonly class: KmsFailureClass;
  /** Safe for logs and error messages: names the cause, never credentials or key bytes (I-K1). */
  readonly reason: string;
  /** The SDK's error name, for DsvError details. */
  readonly name: string;
}

const REJECTED = new Set(['InvalidCiphertextException', 'IncorrectKeyException']);

const KEY_STATE: Readonly<Record<string, string>> = {
  NotFoundException: 'the key was not found in this account and region',
  AccessDeniedException:
    'access denied (the node needs kms:DescribeKey, kms:Encrypt and kms:Decrypt on the key)',
  DisabledException: 'the key is disabled',
  KMSInvalidStateException:
    'the key is not in a usable state (pending deletion, pending import, or unavailable)',
  InvalidKeyUsageException: 'the key is not a symmetric ENCRYPT_DECRYPT key',
  KeyUnavailableException: 'the key is temporarily unavailable in KMS',
  InvalidArnException: 'the key id is not a valid key id, key ARN, alias name or alias ARN',
};

const CREDENTIALS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'IncompleteSignature',
  'MissingAuthenticationToken',
]);

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** AWS messages name principals and ARNs, not secrets; still cap them so nothing unbounded reaches a log. */
function shortMessage(error: SdkErrorShape): string {
  const text = typeof error.message === 'string' ? error.message.replace(/\s+/g, ' ').trim() : '';
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

export function classifyKmsError(error: unknown): KmsFailure {
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const code = typeof e.code === 'string' ? e.code : '';
  const status = e.$metadata?.httpStatusCode;
  const detail = shortMessage(e);
  const withDetail = (reason: string): string => (detail === '' ? reason : `${reason}: ${detail}`);

  if (REJECTED.has(name)) return { class: 'rejected', reason: 'KMS rejected the ciphertext', name };
  if (name === 'NotFoundException' || name === 'AccessDeniedException') {
    return { class: 'ambiguous', reason: withDetail(KEY_STATE[name] ?? name), name };
  }
  const keyState = KEY_STATE[name];
  if (keyState !== undefined) return { class: 'unavailable', reason: withDetail(keyState), name };
  if (name === 'CredentialsProviderError') {
    return { class: 'unavailable', reason: 'no AWS credentials could be loaded', name };
  }
  if (CREDENTIALS.has(name)) {
    return { class: 'unavailable', reason: `the AWS credentials were rejected (${name})`, name };
  }
  if (name === 'TimeoutError' || name === 'AbortError' || NETWORK_CODES.has(code)) {
    return { class: 'unavailable', reason: `KMS endpoint unreachable (${code || name})`, name };
  }
  if (status === undefined) {
    return { class: 'unavailable', reason: withDetail(`KMS request failed (${code || name})`), name };
  }
  if (status >= 500 || name === 'ThrottlingException' || name === 'LimitExceededException') {
    return { class: 'unavailable', reason: withDetail(`KMS is unavailable (${name}, HTTP ${status})`), name };
  }
  return {
    class: 'unavailable',
    reason: withDetail(`KMS refused the request (${name}, HTTP ${status})`),
    name,
  };
}
