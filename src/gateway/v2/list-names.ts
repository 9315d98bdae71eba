// Listing names in a namespace, and the namespaces of a tenant, filtered by the caller's `list` capability
// per name (I-T2) and paginated with an opaque cursor that only ever holds what the caller was shown.
import type { Coordinator } from '../../cluster/index.ts';
import { DsvError } from '../../errors/index.ts';
import type { Caller } from '../tenancy.ts';

/** How many names one scan of the view reads; the scan continues until the page is full or names run out. */
const SCAN_CHUNK = 1000;

export interface NamePage {
  readonly names: string[];
  readonly next?: string;
}

const encodeCursor = (after: string): string =>
  Buffer.from(JSON.stringify({ a: after })).toString('base64url');

function decodeCursor(cursor: string | undefined): string {
  if (cursor === undefined || cursor === '') return '';
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { a?: unknown };
    if (typeof parsed.a === 'string') return parsed.a;
  } catch {
    // fall through: the message below is all a caller needs
  }
  throw new DsvError('DSV_INPUT_INVALID', 'The cursor is not one this API returned');
}

/**
 * A page of at most `limit` names, ascending, each one the caller may `list`. Names the caller may not list
 * are skipped without a trace: they never appear in `names` and never in `next`, whose cursor is the last
 * name returned. `next` is present exactly when another allowed name follows.
 */
export async function listNames(
  coordinator: Coordinator,
  caller: Caller,
  namespace: string,
  prefix: string,
  cursor: string | undefined,
  limit: number,
): Promise<NamePage> {
  let after = decodeCursor(cursor);
  const names: string[] = [];
  for (;;) {
    const chunk = await coordinator.list(caller.tenant, namespace, prefix, after, SCAN_CHUNK);
    for (const name of chunk) {
      if (!caller.can('list', namespace, name)) continue;
      if (names.length === limit) return { names, next: encodeCursor(names[names.length - 1] ?? '') };
      names.push(name);
    }
    const last = chunk.at(-1);
    if (chunk.length < SCAN_CHUNK || last === undefined) return { names };
    after = last;
  }
}

export interface NamespacePage {
  readonly namespaces: string[];
  readonly next?: string;
}

/**
 * Whether the caller may `list` some live name of `namespace`. The dev cluster's standing root may list
 * everything; anyone else (root too, under approvals: I-T4) needs one name it may list, and a namespace where
 * it may list nothing stays unknown to it.
 */
async function mayListIn(coordinator: Coordinator, caller: Caller, namespace: string): Promise<boolean> {
  if (caller.standing === true) return true;
  let after = '';
  for (;;) {
    const chunk = await coordinator.list(caller.tenant, namespace, '', after, SCAN_CHUNK);
    if (chunk.some((name) => caller.can('list', namespace, name))) return true;
    const last = chunk.at(-1);
    if (chunk.length < SCAN_CHUNK || last === undefined) return false;
    after = last;
  }
}

/**
 * A page of at most `limit` namespaces of the caller's tenant, ascending, each holding a live secret the
 * caller may `list`. As with names, a namespace in which the caller may list nothing is skipped without a
 * trace: never in `namespaces`, never in `next`, whose cursor is the last namespace returned.
 */
export async function listNamespaces(
  coordinator: Coordinator,
  caller: Caller,
  prefix: string,
  cursor: string | undefined,
  limit: number,
): Promise<NamespacePage> {
  let after = decodeCursor(cursor);
  const namespaces: string[] = [];
  for (;;) {
    const chunk = await coordinator.namespaces(caller.tenant, prefix, after, SCAN_CHUNK);
    for (const namespace of chunk) {
      if (!(await mayListIn(coordinator, caller, namespace))) continue;
      if (namespaces.length === limit) {
        return { namespaces, next: encodeCursor(namespaces[namespaces.length - 1] ?? '') };
      }
      namespaces.push(namespace);
    }
    const last = chunk.at(-1);
    if (chunk.length < SCAN_CHUNK || last === undefined) return { namespaces };
    after = last;
  }
}
