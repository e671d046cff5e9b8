/**
 * Whether this machine stores numbers little-endian. Typed arrays over one buffer read it in the
 * machine's order, so code that takes a float apart into words, or reads a bit mask by the byte,
 * asks this first.
 */
export const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
