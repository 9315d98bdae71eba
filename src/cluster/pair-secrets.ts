// The pairwise secrets two holders share without ever sending them: X25519 ECDH between this node's agreement
// key and a member's public one from the manifest. They key the masks of share recovery (I-S6) and of share
// refresh (I-R2), so a relaying node learns nothing from what it carries.
import { diffieHellman } from 'node:crypto';
import { DsvError } from '../errors/index.ts';
import { publicKeyOf, type TrustMaterial } from '../trust/index.ts';

export class PairSecrets {
  readonly #trust: TrustMaterial;
  readonly #cache = new Map<string, Uint8Array>();

  constructor(trust: TrustMaterial) {
    this.#trust = trust;
  }

  /** ECDH(this node, `nodeId`); only the two of them can compute it. */
  of(nodeId: string): Uint8Array {
    const cached = this.#cache.get(nodeId);
    if (cached) return cached;
    const member = this.#trust.manifest.members.find((item) => item.nodeId === nodeId);
    if (!member) throw new DsvError('DSV_PEER_REJECTED', 'Unknown member');
    const secret = new Uint8Array(
      diffieHellman({
        privateKey: this.#trust.identity.agreementKey,
        publicKey: publicKeyOf(member.agreementKey),
      }),
    );
    this.#cache.set(nodeId, secret);
    return secret;
  }
}
