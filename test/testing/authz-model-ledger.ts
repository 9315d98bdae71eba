// What every tenant's secrets must hold after the level-2 run, and who owns every value ever written:
// values are unique random strings tagged with their tenant, so any response body can be scanned for leaks.
import { randomBytes } from 'node:crypto';

const VALUE = /s3cr3t\.[a-z]+\.\d+\.[0-9a-f]{8}/g;

const keyOf = (tenant: string, namespace: string, name: string): string =>
  JSON.stringify([tenant, namespace, name]);

export class SecretLedger {
  /** Versions of each secret's current life (empty: missing or deleted), by [tenant, namespace, name]. */
  private readonly lives = new Map<string, string[]>();
  private readonly owners = new Map<string, string>();
  private counter = 0;

  /** A fresh value owned by `tenant` (tenants here are lower-case ASCII). */
  newValue(tenant: string): string {
    this.counter += 1;
    const value = `s3cr3t.${tenant}.${this.counter}.${randomBytes(4).toString('hex')}`;
    this.owners.set(value, tenant);
    return value;
  }

  versions(tenant: string, namespace: string, name: string): readonly string[] {
    return this.lives.get(keyOf(tenant, namespace, name)) ?? [];
  }

  exists(tenant: string, namespace: string, name: string): boolean {
    return this.versions(tenant, namespace, name).length > 0;
  }

  /** create (a new life), update (a new version) or delete, after the cluster acknowledged it. */
  record(tenant: string, namespace: string, name: string, change: { value: string } | 'delete'): void {
    const key = keyOf(tenant, namespace, name);
    if (change === 'delete') this.lives.set(key, []);
    else this.lives.set(key, [...(this.lives.get(key) ?? []), change.value]);
  }

  /** Every secret ever touched, in every tenant: the final sweep reads them all. */
  keys(): Array<[string, string, string]> {
    return [...this.lives.keys()].map((key) => JSON.parse(key) as [string, string, string]);
  }

  /** The known values in a body with their owner tenants (a value that was never written is reported too). */
  valuesIn(body: string): Array<{ value: string; owner: string | undefined }> {
    return [...body.matchAll(VALUE)].map((match) => ({ value: match[0], owner: this.owners.get(match[0]) }));
  }

  get written(): number {
    return this.counter;
  }
}
