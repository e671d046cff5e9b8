/**
 * Codes for class labels and slice values, shared by the data and the model's label output so
 * `1`, `1.0` and int64 1 are one class. Numbers are normalised once per distinct text.
 */
export class Dictionary {
  private readonly codes = new Map<string, number>();
  private readonly raw = new Map<string, number>();
  private readonly numbers = new Map<number, number>();
  readonly keys: string[] = [];

  /** The code of a value; -1 for null. */
  code(value: string | null): number {
    if (value === null) return -1;
    const seen = this.raw.get(value);
    if (seen !== undefined) return seen;
    const key = normalise(value);
    let code = this.codes.get(key);
    if (code === undefined) {
      code = this.keys.length;
      this.keys.push(key);
      this.codes.set(key, code);
    }
    this.raw.set(value, code);
    return code;
  }

  /** Codes of the class numbers 0..255 by number (-1: not seen yet): a label column's usual values. */
  private readonly small = new Int32Array(256).fill(-1);

  /** The code of a number (a numeric label column); -1 for NaN. */
  codeOfNumber(value: number): number {
    // Called once a row: small integers skip the map (whose keys are doubles).
    const index = value | 0;
    if (index === value && index >= 0 && index < 256) {
      if (this.small[index]! < 0) this.small[index] = this.slowCode(value);
      return this.small[index]!;
    }
    return this.slowCode(value);
  }

  private slowCode(value: number): number {
    if (Number.isNaN(value)) return -1;
    let code = this.numbers.get(value);
    if (code === undefined) {
      code = this.code(String(value));
      this.numbers.set(value, code);
    }
    return code;
  }

  get size(): number {
    return this.keys.length;
  }
}

function normalise(value: string): string {
  const trimmed = value.trim();
  if (trimmed === '') return value;
  const n = Number(trimmed);
  return Number.isFinite(n) ? String(n) : value;
}

export const isNumericKey = (key: string) => key.trim() !== '' && Number.isFinite(Number(key));
