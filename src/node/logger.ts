// The node logger: pino with redaction of anything that could carry secret or key material (I-K1, I-G2).
import pino, { type Logger } from 'pino';

export const REDACTED_PATHS = [
  'secretValue',
  'secretUpdatedValue',
  'value',
  'share',
  'shares',
  'token',
  'passphrase',
  'key',
  'dek',
  'kek',
  'authorization',
  '*.secretValue',
  '*.secretUpdatedValue',
  '*.value',
  '*.share',
  '*.token',
  '*.passphrase',
  '*.dek',
  '*.kek',
  '*.authorization',
  'req.headers.authorization',
  'req.headers["x-dsv-peer-token"]',
  'headers.authorization',
  'body',
  'req.body',
];

export function createLogger(
  options: { level?: string; name?: string; destination?: pino.DestinationStream } = {},
): Logger {
  return pino(
    {
      level: options.level ?? process.env.DSV_LOG_LEVEL ?? 'info',
      ...(options.name ? { name: options.name } : {}),
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    options.destination ?? pino.destination(2),
  );
}
