// Text primitives of the .env grammar: the original's line breaks (Java `\R`) and trim (code units ≤ U+0020).

/** Java's `\R`: CRLF as one break, else any of LF, VT, FF, CR, NEL, LS, PS — as the original splits. */
const LINE_BREAK = /\r\n|[\n\v\f\r\u0085\u2028\u2029]/;
const LINE_BREAK_CHAR = /[\n\v\f\r\u0085\u2028\u2029]/;

export function splitEnvLines(content: string): string[] {
  return content.split(LINE_BREAK);
}

export function containsLineBreak(text: string): boolean {
  return LINE_BREAK_CHAR.test(text);
}

const isTrimmed = (code: number): boolean => code <= 0x20;

/**
 * Java's `String.trim()`: strips code units ≤ U+0020 and nothing else, so a value ending in a no-break space
 * or another Unicode space keeps it (secret values are taken verbatim).
 */
export function trimEnv(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isTrimmed(text.charCodeAt(start))) start += 1;
  while (end > start && isTrimmed(text.charCodeAt(end - 1))) end -= 1;
  return text.slice(start, end);
}

export function trimEnvStart(text: string): string {
  let start = 0;
  while (start < text.length && isTrimmed(text.charCodeAt(start))) start += 1;
  return text.slice(start);
}

/** Java's `isBlank()`, approximated: only whitespace or code units ≤ U+0020. */
export function isBlankEnv(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (!isTrimmed(code) && !/\s/.test(text.charAt(i))) return false;
  }
  return true;
}
