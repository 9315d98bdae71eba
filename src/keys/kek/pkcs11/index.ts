// The pkcs11 KEK adapter's public surface: the provider and its options. Re-exports only.
export { Pkcs11KekProvider, type Pkcs11KekOptions } from './pkcs11-kek-provider.ts';
