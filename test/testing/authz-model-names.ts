// Tricky namespaces, names and patterns for the authorisation model checks: path tricks, normalisation
// forms, case, and their variants (which the model says are equivalent, or which name a different secret).
import fc from 'fast-check';
import { MODEL_CAPABILITIES, type ModelCapability, type ModelRule } from './authz-model.ts';

/** Fragments names are built from: plain, case-variant, NFC vs NFD vs singleton forms, and path tricks. */
export const NAME_FRAGMENTS: readonly string[] = [
  'app',
  'App',
  'APP',
  'db',
  'key',
  'Key',
  'caf\u00e9', // café, NFC
  'cafe\u0301', // café, NFD
  '\u00c5', // Å
  'A\u030a', // Å decomposed
  '\u212b', // ANGSTROM SIGN: NFC turns it into U+00C5
  'e\u0323\u0301', // ẹ́, canonical order
  'e\u0301\u0323', // same after canonical reordering
  '\ud55c', // 한
  '\u1112\u1161\u11ab', // 한 as conjoining jamo
  '\ufb01', // ﬁ: only NFKC (not NFC) makes it "fi"
  'fi',
  '\u00df', // ß: uppercases to "SS"
  'SS',
  '\u0130', // İ
  '/',
  '//',
  '..',
  '.',
  '%2F',
  '%2f',
  '%2E%2E',
  '*',
  ' ',
  '\u{1f511}', // 🔑, outside the BMP
];

export const nameArb: fc.Arbitrary<string> = fc
  .array(fc.constantFrom(...NAME_FRAGMENTS), { minLength: 1, maxLength: 4 })
  .map((parts) => parts.join(''));

/** One form of a name: as written, NFC or NFD, so a pattern may be stored in either form. */
export type Form = 'raw' | 'NFC' | 'NFD';
export const formArb: fc.Arbitrary<Form> = fc.constantFrom('raw', 'NFC', 'NFD');
export const inForm = (value: string, form: Form): string => (form === 'raw' ? value : value.normalize(form));

/**
 * A pattern as the log carries it (`*` only at the end, as parseRules enforces): exact, a prefix cut at any
 * code point of some form of a name (so `cafe*` against `café` happens), or `*`.
 */
export const patternArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: nameArb.map((name) => name.replaceAll('*', '')).filter((name) => name !== '') },
  {
    weight: 4,
    arbitrary: fc
      .tuple(nameArb, formArb, fc.nat({ max: 12 }))
      .map(
        ([name, form, cut]) =>
          `${Array.from(inForm(name, form).replaceAll('*', '')).slice(0, cut).join('')}*`,
      ),
  },
  { weight: 1, arbitrary: fc.constant('*') },
);

export const capabilitiesArb: fc.Arbitrary<ModelCapability[]> = fc.subarray([...MODEL_CAPABILITIES], {
  minLength: 1,
});

export const ruleArb: fc.Arbitrary<ModelRule> = fc.record({
  namespace: patternArb,
  name: patternArb,
  capabilities: capabilitiesArb,
});

export const rulesArb: fc.Arbitrary<ModelRule[]> = fc.array(ruleArb, { minLength: 1, maxLength: 4 });

/** Variants the model says are the same request: other normalisation forms of namespace and name. */
export function equivalentForms(value: string): string[] {
  return [...new Set([value.normalize('NFC'), value.normalize('NFD')])].filter((form) => form !== value);
}

/** Path-trick variants: the model says each is a literal, different name (unless it happens to be equal). */
export function trickVariants(value: string): string[] {
  const swapFirst = (text: string): string => {
    const first = Array.from(text)[0] ?? '';
    const swapped = first === first.toUpperCase() ? first.toLowerCase() : first.toUpperCase();
    return swapped + text.slice(first.length);
  };
  const variants = [
    `${value}/`,
    `/${value}`,
    `${value}//`,
    `${value}/..`,
    `../${value}`,
    `x/../${value}`,
    `${value}/.`,
    value.replaceAll('/', '//'),
    value.replaceAll('/', '%2F'),
    value.replaceAll('%2F', '/'),
    value.replaceAll('%2F', '%2f'),
    value.replaceAll('//', '/'),
    encodeURIComponent(value),
    value.toUpperCase(),
    value.toLowerCase(),
    swapFirst(value),
    value.normalize('NFKC'),
    `${value} `,
    `${value}*`,
  ];
  return [...new Set(variants)].filter((variant) => variant !== value);
}

/** Some of a rule's pattern body plus a suffix, in some form: a request that the rule is likely to cover. */
export function nearPattern(pattern: string, suffix: string, form: Form): string {
  const body = pattern.endsWith('*') ? pattern.slice(0, -1) + suffix : pattern;
  const value = inForm(body, form);
  return value === '' ? suffix || 'x' : value;
}
