// The kmip KEK adapter's public surface: the provider and its options. Re-exports only.
export { KmipKekProvider, type KmipKekOptions } from './kmip-kek-provider.ts';
