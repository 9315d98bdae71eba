// The KEK provider adapters that talk to outside key stores (DESIGN §8), for the composition root that opens the
// one a node's config names. Kept out of the keys barrel (src/keys/index.ts): the AWS SDK and the PKCS#11 and
// KMIP clients load only in the process that opens such a provider, not in everything that uses the keyring
// (issue 13).
export { AwsKmsKekProvider } from './aws-kms/aws-kms-kek-provider.ts';
export { KmipKekProvider, type KmipKekOptions } from './kmip/index.ts';
export { Pkcs11KekProvider, type Pkcs11KekOptions } from './pkcs11/index.ts';
