// Sharing: Shamir's secret sharing over GF(256) and the integrity-tagged secret payload (DESIGN §7, I-C1).
export { splitBytes, combineBytes, MAX_SHARES, type Share, type RandomSource } from './shamir.ts';
export { splitSecret, reconstructSecret } from './secret-sharing.ts';
export { PAYLOAD_DOMAIN, TAG_LENGTH, type SecretIdentity } from './payload-tag.ts';
export { MAX_SUBSETS } from './share-subsets.ts';
export { encodeShare, decodeShare } from './share-codec.ts';
export { BLINDING_BYTES, commitmentMatches, newBlinding, shareCommitment } from './share-commitment.ts';
export { combineContributions, lagrangeAt, pairMask, recoveryContribution } from './share-recovery.ts';
export {
  checkMacContext,
  checkSubsets,
  dealingContext,
  dealZeroPolynomial,
  MAX_CHECK_SUBSETS,
  openDealing,
  pairMac,
  pairMacMatches,
  sealDealing,
  subsetContext,
  sumUpdates,
  zeroCheckContribution,
  zeroCheckHolds,
} from './share-refresh.ts';
