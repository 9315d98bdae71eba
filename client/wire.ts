// The bodies of the client-side protocol (docs/client-side-protocol.md), checked as they arrive: a node that
// answers something else gets a DSV_INTERNAL naming the route, never a crash deeper in the library.
import { DsvClientError } from './client-error.ts';

export interface NodeRef {
  readonly nodeId: string;
  readonly url: string;
}

export interface Topology {
  readonly clusterId: string;
  readonly sharing: { readonly n: number; readonly k: number; readonly w: number };
  readonly nodes: readonly NodeRef[];
}

/** Holder `index` i is 0-based; its Shamir x-coordinate is i + 1. */
export interface HolderRef extends NodeRef {
  readonly index: number;
}

export interface ResolvedHolder extends HolderRef {
  /** base64; null for a version written before commitments existed (only the payload tag checks it). */
  readonly commitment: string | null;
}

/** The metadata of one version, no value: `GET /resolve`, `previous` and `resolved` of a plan. */
export interface Resolved {
  readonly namespace: string;
  readonly name: string;
  readonly version: number;
  readonly writeId: string;
  readonly tenant: string;
  readonly partition: number;
  readonly minOffset: number;
  readonly validFrom: string;
  readonly validTo: string | null;
  readonly holders: readonly ResolvedHolder[];
  /** Share-refresh generation: passed back unchanged to the holders. */
  readonly generation?: number;
}

export interface PlanEntry {
  readonly op: 'create' | 'update' | 'delete' | 'read';
  readonly namespace: string;
  readonly name: string;
  readonly version: number;
  readonly holders?: readonly HolderRef[];
  readonly previous?: Resolved;
  readonly resolved?: Resolved;
}

export interface OrderedWrite {
  readonly writeId: string;
  readonly tenant: string;
  readonly partition: number;
  readonly minOffset: number;
  readonly coordinator: NodeRef;
  readonly plan: readonly PlanEntry[];
}

/** POST /writes/prepare: the intent the client carries to its endorsers (opaque here, but checked). */
export interface PreparedWrite {
  readonly writeId: string;
  readonly partition: number;
  readonly intent: Readonly<Record<string, unknown>>;
  readonly endorsementsNeeded: number;
}

export interface Endorsement {
  readonly node: string;
  readonly sig: string;
}

export interface OpResult {
  readonly version: number;
  readonly unchanged?: boolean;
}

export interface DuplicateWrite {
  readonly duplicate: true;
  readonly results: readonly OpResult[];
}

/** `GET /writes/{writeId}` at any node: the caller's own client-side write as that node's view has it. */
export interface WriteStatus {
  readonly state: 'committed' | 'duplicate' | 'pending' | 'aborted' | 'rejected';
  /** A committed write's results; a duplicate's when the write it repeats committed. */
  readonly results?: readonly OpResult[];
}

export interface Receipt {
  readonly namespace: string;
  readonly name: string;
  readonly node: string;
  readonly index: number;
  readonly commitment: string;
  readonly receipt: string;
}

export interface HolderShare {
  readonly index: number;
  readonly share: Uint8Array;
  /** Absent for a shard stored before commitments existed (its commitment is null too). */
  readonly blinding?: Uint8Array;
}

type Fields = Record<string, unknown>;

function malformed(what: string): DsvClientError {
  return new DsvClientError('DSV_INTERNAL', `The node answered a malformed ${what}`);
}

function object(value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed(what);
  return value as Fields;
}

function text(fields: Fields, key: string, what: string): string {
  const value = fields[key];
  if (typeof value !== 'string') throw malformed(what);
  return value;
}

function count(fields: Fields, key: string, what: string, min = 0): number {
  const value = fields[key];
  if (!Number.isSafeInteger(value) || (value as number) < min) throw malformed(what);
  return value as number;
}

function list(fields: Fields, key: string, what: string): unknown[] {
  const value = fields[key];
  if (!Array.isArray(value)) throw malformed(what);
  return value as unknown[];
}

function nodeRef(value: unknown, what: string): NodeRef {
  const fields = object(value, what);
  return { nodeId: text(fields, 'nodeId', what), url: text(fields, 'url', what) };
}

function holderRef(value: unknown, what: string): HolderRef {
  return { ...nodeRef(value, what), index: count(object(value, what), 'index', what) };
}

export function parseTopology(value: unknown): Topology {
  const what = 'topology';
  const fields = object(value, what);
  const sharing = object(fields.sharing, what);
  const n = count(sharing, 'n', what, 1);
  const k = count(sharing, 'k', what, 1);
  const w = count(sharing, 'w', what, 1);
  if (k > n || w > n) throw malformed(what);
  return {
    clusterId: text(fields, 'clusterId', what),
    sharing: { n, k, w },
    nodes: list(fields, 'nodes', what).map((node) => nodeRef(node, what)),
  };
}

export function parseResolved(value: unknown, what = 'resolve answer'): Resolved {
  const fields = object(value, what);
  const validTo = fields.validTo;
  if (validTo !== null && typeof validTo !== 'string') throw malformed(what);
  const generation = fields.generation;
  if (generation !== undefined && !Number.isSafeInteger(generation)) throw malformed(what);
  return {
    namespace: text(fields, 'namespace', what),
    name: text(fields, 'name', what),
    version: count(fields, 'version', what, 1),
    writeId: text(fields, 'writeId', what),
    tenant: text(fields, 'tenant', what),
    partition: count(fields, 'partition', what),
    minOffset: count(fields, 'minOffset', what),
    validFrom: text(fields, 'validFrom', what),
    validTo,
    holders: list(fields, 'holders', what).map((holder) => {
      const commitment = object(holder, what).commitment;
      if (commitment !== null && typeof commitment !== 'string') throw malformed(what);
      return { ...holderRef(holder, what), commitment };
    }),
    ...(generation === undefined ? {} : { generation: generation as number }),
  };
}

function planEntry(value: unknown): PlanEntry {
  const what = 'write plan';
  const fields = object(value, what);
  const op = fields.op;
  if (op !== 'create' && op !== 'update' && op !== 'delete' && op !== 'read') throw malformed(what);
  return {
    op,
    namespace: text(fields, 'namespace', what),
    name: text(fields, 'name', what),
    version: count(fields, 'version', what, 1),
    ...(fields.holders === undefined
      ? {}
      : { holders: list(fields, 'holders', what).map((holder) => holderRef(holder, what)) }),
    ...(fields.previous === undefined || fields.previous === null
      ? {}
      : { previous: parseResolved(fields.previous, what) }),
    ...(fields.resolved === undefined ? {} : { resolved: parseResolved(fields.resolved, what) }),
  };
}

function opResults(fields: Fields, what: string): OpResult[] {
  return list(fields, 'results', what).map((entry) => {
    const result = object(entry, what);
    return {
      version: count(result, 'version', what),
      ...(result.unchanged === true ? { unchanged: true } : {}),
    };
  });
}

export function parseOrdered(value: unknown): OrderedWrite | DuplicateWrite {
  const what = 'write answer';
  const fields = object(value, what);
  if (fields.duplicate === true) return { duplicate: true, results: opResults(fields, what) };
  return {
    writeId: text(fields, 'writeId', what),
    tenant: text(fields, 'tenant', what),
    partition: count(fields, 'partition', what),
    minOffset: count(fields, 'minOffset', what),
    coordinator: nodeRef(fields.coordinator, what),
    plan: list(fields, 'plan', what).map(planEntry),
  };
}

export function parsePrepared(value: unknown): PreparedWrite {
  const what = 'prepare answer';
  const fields = object(value, what);
  return {
    writeId: text(fields, 'writeId', what),
    partition: count(fields, 'partition', what),
    intent: object(fields.intent, what),
    endorsementsNeeded: count(fields, 'endorsementsNeeded', what),
  };
}

export function parseEndorsement(value: unknown): Endorsement {
  const what = 'endorsement';
  const fields = object(value, what);
  return { node: text(fields, 'node', what), sig: text(fields, 'sig', what) };
}

export const parseCommitted = (value: unknown): OpResult[] =>
  opResults(object(value, 'commit answer'), 'commit answer');

const WRITE_STATES = ['committed', 'duplicate', 'pending', 'aborted', 'rejected'] as const;

export function parseWriteStatus(value: unknown): WriteStatus {
  const what = 'write status';
  const fields = object(value, what);
  const state = WRITE_STATES.find((known) => known === fields.state);
  if (state === undefined) throw malformed(what);
  return { state, ...(fields.results === undefined ? {} : { results: opResults(fields, what) }) };
}

export function parseReceipts(value: unknown): Receipt[] {
  const what = 'stage answer';
  return list(object(value, what), 'receipts', what).map((entry) => {
    const fields = object(entry, what);
    return {
      namespace: text(fields, 'namespace', what),
      name: text(fields, 'name', what),
      node: text(fields, 'node', what),
      index: count(fields, 'index', what),
      commitment: text(fields, 'commitment', what),
      receipt: text(fields, 'receipt', what),
    };
  });
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function bytes(fields: Fields, key: string, what: string): Uint8Array {
  const value = text(fields, key, what);
  if (!BASE64.test(value)) throw malformed(what);
  return new Uint8Array(Buffer.from(value, 'base64'));
}

export function parseHolderShare(value: unknown): HolderShare {
  const what = 'shard answer';
  const fields = object(value, what);
  return {
    index: count(fields, 'index', what),
    share: bytes(fields, 'share', what),
    ...(fields.blinding === undefined ? {} : { blinding: bytes(fields, 'blinding', what) }),
  };
}

export const toBase64 = (data: Uint8Array): string =>
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
