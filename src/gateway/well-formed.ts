// Refuses ill-formed UTF-16 (a lone surrogate) at the edge: UTF-8 would turn it into U+FFFD, so the policy
// would decide on one string while the log and the view act on another (found by the authorisation model
// check). 400 before anything is ordered.
import { DsvError } from '../errors/index.ts';

export function requireWellFormed(text: string, what: string): string {
  if (!text.isWellFormed()) throw new DsvError('DSV_INPUT_INVALID', `${what} is not well-formed Unicode`);
  return text;
}
