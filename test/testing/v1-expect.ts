// Exact assertions on v1 responses (API-V1.md): status and body text together, and the error body shape.
import assert from 'node:assert/strict';
import type { V1Response } from './v1-client.ts';

/** Status and body text exactly, compared together so a failure shows both. */
export function expectResponse(response: V1Response, status: number, body: string, label?: string): void {
  assert.deepEqual({ status: response.status, body: response.body }, { status, body }, label);
}

/** An error: the status and exactly `{"message":"<message>"}`, nothing else in the body. */
export function expectError(response: V1Response, status: number, message: string, label?: string): void {
  expectResponse(response, status, JSON.stringify({ message }), label);
}

/** An error whose message text the contract leaves open: the status and a body of only `{"message": string}`. */
export function expectErrorShape(response: V1Response, status: number): string {
  assert.equal(response.status, status, `expected ${status}, got ${response.status} ${response.body}`);
  let parsed: unknown;
  assert.doesNotThrow(() => {
    parsed = JSON.parse(response.body);
  }, `error body is not JSON: ${response.body}`);
  assert.ok(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed), response.body);
  assert.deepEqual(Object.keys(parsed), ['message'], response.body);
  const message = (parsed as { message: unknown }).message;
  assert.equal(typeof message, 'string', response.body);
  assert.ok((message as string).length > 0, response.body);
  return message as string;
}

/** `/all` body text for versions 1..n in ascending order, as the contract prints it. */
export function allVersionsBody(values: readonly string[]): string {
  const object: Record<string, string> = {};
  values.forEach((value, index) => {
    object[String(index + 1)] = value;
  });
  // Integer-like keys keep ascending numeric order in JSON.stringify, as `/all` must ("9" before "10").
  return JSON.stringify(object);
}
