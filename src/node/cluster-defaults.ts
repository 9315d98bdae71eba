// Default sharing parameters for a cluster of N nodes (DESIGN §4): 3 → n=3,k=2,W=2; 5 → n=5,k=3,W=4.
import { DsvError } from '../errors/index.ts';

export interface SharingParams {
  readonly n: number;
  readonly k: number;
  readonly w: number;
  readonly r: number;
}

/** k is a strict majority (no minority of nodes can reconstruct); W adds one spare per 4 nodes above k. */
export function defaultSharingParams(nodes: number): SharingParams {
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 255) {
    throw new DsvError('DSV_INPUT_INVALID', 'A cluster has between 1 and 255 nodes');
  }
  const n = nodes;
  const k = Math.floor(n / 2) + 1;
  const w = Math.min(n, k + Math.floor((n - 1) / 4));
  return { n, k, w, r: 1 };
}

export function validateSharingParams(params: SharingParams, nodes: number): void {
  const { n, k, w, r } = params;
  const ok = Number.isInteger(n) && Number.isInteger(k) && Number.isInteger(w) && Number.isInteger(r);
  if (!ok || k < 1 || k > w || w > n || n > nodes || r < 0) {
    throw new DsvError(
      'DSV_INPUT_INVALID',
      `Invalid sharing parameters: need 1 ≤ k ≤ W ≤ n ≤ nodes (${nodes}) and r ≥ 0`,
    );
  }
}
