// The node logger: pino with redaction of anything that could carry secret or key material (I-K1, I-G2).
import pino, { type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';

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

/** `dsv dev` logs for people (pino-pretty) unless `--log-format json`; `dsv server` always logs JSON lines. */
export type LogFormat = 'pretty' | 'json';

/**
 * Turns one JSON log line (already redacted by pino) into a human one: time, level, node, message, then the
 * other fields. The identity for `json`.
 */
export function logLineFormatter(format: LogFormat, colorize = false): (line: string) => string {
  if (format === 'json') return (line) => line;
  const pretty = prettyFactory({
    colorize,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,node',
    messageFormat: '{if node}{node} {end}{msg}',
    hideObject: false,
  });
  return (line) => pretty(line);
}
