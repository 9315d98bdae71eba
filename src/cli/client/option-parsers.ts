// Option value parsers: a bad value is a usage error (commander's InvalidArgumentError → exit code 2).
import { InvalidArgumentError, Option } from 'commander';

export function positiveInteger(raw: string): number {
  const value = Number(raw);
  if (!/^\+?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError('expected a whole number ≥ 1');
  }
  return value;
}

/** A non-negative number, or `none` / `unlimited` for no limit (not null: commander turns a null into ''). */
export function limitOrNone(raw: string): number | 'none' {
  if (raw === 'none' || raw === 'unlimited') return 'none';
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError('expected a number ≥ 0, or "none"');
  }
  return value;
}

/** An instant for `--as-of`: RFC 3339 (or anything `Date` reads), sent as UTC with milliseconds. */
export function instant(raw: string): string {
  const time = new Date(raw);
  if (Number.isNaN(time.getTime()))
    throw new InvalidArgumentError('expected a time such as 2026-01-31T12:00:00Z');
  return time.toISOString();
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** `90`, `90s`, `15m`, `1h`, `7d`, `2w`, or combinations such as `1h30m` → seconds. */
export function duration(raw: string): number {
  const text = raw.trim();
  if (/^\d+$/.test(text)) return positiveInteger(text);
  const parts = [...text.matchAll(/(\d+)([smhdw])/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) {
    throw new InvalidArgumentError('expected a duration such as 90s, 15m, 1h, 7d or 1h30m');
  }
  const seconds = parts.reduce((sum, part) => sum + Number(part[1]) * (UNITS[part[2] ?? 's'] ?? 1), 0);
  if (seconds < 1) throw new InvalidArgumentError('the duration must be at least 1s');
  return seconds;
}

export const collect = (value: string, previous: readonly string[] = []): string[] => [...previous, value];

/** `-n, --namespace` (or DSV_NAMESPACE), required: the namespace a command's secrets live in. */
export const namespaceOption = (): Option =>
  new Option('-n, --namespace <namespace>', 'the namespace the secrets live in')
    .env('DSV_NAMESPACE')
    .makeOptionMandatory();
