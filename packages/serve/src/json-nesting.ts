/**
 * How deep a JSON text nests, counted on its bytes as they arrive: a body nested 100,000 deep is
 * refused before JSON.parse builds it, and nothing later recurses into what a client chose.
 */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

export class NestingGuard {
  private readonly max: number;
  private depth = 0;
  private inString = false;
  private escaped = false;
  constructor(max: number) {
    this.max = max;
  }

  /** Reads the next bytes of the text; false once it nests deeper than `max`. */
  feed(bytes: Uint8Array): boolean {
    let { depth, inString, escaped } = this;
    const max = this.max;
    // UTF-8 continuation bytes are all 0x80 and up, so no byte of a character is mistaken for these.
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) inString = false;
      } else if (c === QUOTE) inString = true;
      else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
        if (++depth > max) return false;
      } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    return true;
  }
}
