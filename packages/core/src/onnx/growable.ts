/** Typed arrays that grow by doubling: predictions are kept as numbers, never as objects per row. */
type Typed = Float32Array | Float64Array | Int32Array;
type Ctor<T extends Typed> = { new (n: number): T };

export class Growable<T extends Typed> {
  private data: T;
  length = 0;
  private readonly ctor: Ctor<T>;
  constructor(ctor: Ctor<T>, initial = 1 << 16) {
    this.ctor = ctor;
    this.data = new ctor(initial);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.data.length) return;
    const next = new this.ctor(Math.max(this.data.length * 2, this.length + extra));
    next.set(this.data.subarray(0, this.length) as never);
    this.data = next;
  }

  push(value: number): void {
    this.reserve(1);
    this.data[this.length++] = value;
  }

  append(values: ArrayLike<number>): void {
    this.reserve(values.length);
    this.data.set(values as never, this.length);
    this.length += values.length;
  }

  /** The filled part, without copying. */
  view(): T {
    return this.data.subarray(0, this.length) as T;
  }
}
