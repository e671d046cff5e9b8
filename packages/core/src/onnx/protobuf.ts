/**
 * Just enough of the protobuf wire format to write an ONNX model, so tests, the example trainer
 * and the benchmarks can build models without Python's onnx package. Encoding only: nothing in
 * modelship needs to read a model's protobuf (onnxruntime does that).
 *
 * A field is a key (field number << 3 | wire type) followed by its payload. Wire types used:
 * 0 varint, 1 fixed 64-bit, 2 length-delimited (bytes, strings, sub-messages, packed repeats),
 * 5 fixed 32-bit. All multi-byte fixed values are little-endian.
 */

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

const utf8 = new TextEncoder();

/** Appends fields to a growing buffer; `finish()` returns the encoded message. */
export class ProtoWriter {
  private buf = new Uint8Array(256);
  private len = 0;
  // One scratch view for fixed-width values, so writing a float allocates nothing.
  private readonly scratch = new DataView(new ArrayBuffer(8));

  /**
   * An unsigned or two's-complement varint. Negative numbers (an `axis` of -1) take ten bytes,
   * as protobuf encodes int32 and int64 alike, so bigint carries them without losing bits.
   */
  varint(field: number, value: number | bigint): this {
    this.key(field, VARINT);
    this.rawVarint(value);
    return this;
  }

  /** A length-delimited field: raw bytes, or a sub-message already encoded. */
  bytes(field: number, value: Uint8Array): this {
    this.key(field, LENGTH_DELIMITED);
    this.rawVarint(value.length);
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  /** A sub-message written by `write` into its own writer, then framed with its length. */
  message(field: number, write: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    write(inner);
    return this.bytes(field, inner.finish());
  }

  float(field: number, value: number): this {
    this.key(field, FIXED32);
    this.scratch.setFloat32(0, value, true);
    this.push(new Uint8Array(this.scratch.buffer, 0, 4));
    return this;
  }

  double(field: number, value: number): this {
    this.key(field, FIXED64);
    this.scratch.setFloat64(0, value, true);
    this.push(new Uint8Array(this.scratch.buffer, 0, 8));
    return this;
  }

  /**
   * Repeated scalars as one length-delimited run. onnx.proto is proto2, where repeated fields
   * default to unpacked, but every conforming parser accepts both forms and packed is smaller.
   */
  packedVarints(field: number, values: Iterable<number | bigint>): this {
    return this.message(field, (w) => {
      for (const v of values) w.rawVarint(v);
    });
  }

  packedFloats(field: number, values: ArrayLike<number>): this {
    return this.bytes(
      field,
      fixedBytes(values, 4, (view, i, v) => view.setFloat32(i, v, true)),
    );
  }

  packedDoubles(field: number, values: ArrayLike<number>): this {
    return this.bytes(
      field,
      fixedBytes(values, 8, (view, i, v) => view.setFloat64(i, v, true)),
    );
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  private key(field: number, wireType: number): void {
    if (!Number.isInteger(field) || field < 1) throw new RangeError(`invalid protobuf field number ${field}`);
    this.rawVarint(field * 8 + wireType);
  }

  private rawVarint(value: number | bigint): void {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new RangeError(`varint must be a safe integer, got ${value}`);
    }
    const out: number[] = [];
    if (typeof value === 'number' && value >= 0 && value < 2 ** 31) {
      // The common case (keys, lengths, dims) without a bigint per value.
      let n = value;
      while (n >= 0x80) {
        out.push((n & 0x7f) | 0x80);
        n >>>= 7;
      }
      out.push(n);
      this.push(out);
      return;
    }
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.push(out);
  }

  private push(bytes: ArrayLike<number>): void {
    if (this.len + bytes.length > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, this.len + bytes.length));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }
}

/** Little-endian fixed-width encoding of a run of numbers (also used for ONNX raw_data). */
export function fixedBytes(
  values: ArrayLike<number>,
  width: 4 | 8,
  set: (view: DataView, offset: number, value: number) => void,
): Uint8Array {
  const out = new Uint8Array(values.length * width);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) set(view, i * width, values[i]!);
  return out;
}
