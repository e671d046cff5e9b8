/**
 * mulberry32: a small, fast, seedable generator for noise and test data that must be the same on
 * every machine. Not for anything secret; the bootstrap uses xoshiro128** (paired.ts) for its
 * longer period.
 */
export function mulberry32(seed: number) {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  // Box–Muller: two uniforms per normal draw; 1 - u keeps log() away from 0.
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}
