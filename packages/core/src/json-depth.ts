/**
 * Nesting depth of a JSON text, measured on its bytes without parsing it and without recursion, so
 * a hostile 10 000-level document is refused before any parser or recursive walk sees it.
 *
 * Counts `[` and `{` outside strings (escapes inside strings are skipped); the deepest level
 * reached is returned as soon as it passes `limit` (the scan stops there). It does not validate the
 * JSON: malformed text is left to the parser.
 */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

export function jsonNestingDepth(text: Uint8Array, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const byte = text[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
      continue;
    }
    if (byte === QUOTE) inString = true;
    else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if ((byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) && depth > 0) depth--;
  }
  return deepest;
}

/** True when the JSON text nests deeper than `maxDepth` arrays / objects. */
export function exceedsJsonDepth(text: Uint8Array, maxDepth: number): boolean {
  return jsonNestingDepth(text, maxDepth) > maxDepth;
}
