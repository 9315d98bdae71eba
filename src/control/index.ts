// control — tenants, tokens and policies: the control records, the control view each node builds from the
// log, authentication of bearer tokens and forwarded credentials, and authorisation of requests and
// records. Invariants (docs/invariants.md, src/control/README.md): I-T1 the tenant comes from the token only;
// I-T2 default deny; I-T3 a record that grants or destroys counts only with k endorsements; I-T5 a token
// never outlives its creator. Other contexts import control through this file only.
export * from './control-entry.ts';
export * from './control-store.ts';
export * from './policy.ts';
export * from './record-authorization.ts';
export * from './token-authenticator.ts';
export * from './tokens.ts';
