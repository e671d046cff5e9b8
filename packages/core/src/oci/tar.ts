/**
 * A deterministic tar writer for image layers: the same files give the same bytes and so the same
 * digest on every runner, which is what lets a registry skip blobs it already has and lets two
 * builds of one commit produce one image. Everything a host leaks into a tar (owners, times, umask,
 * directory order, gzip header) is fixed: entries sorted by path, uid/gid 0 with empty names, one
 * mtime, modes 0644/0755, every parent directory written explicitly.
 *
 * Two shapes: small layers (config files, the server bundle, a native module) are built and
 * gzipped in memory; the model weights are one uncompressed layer streamed straight from the file,
 * so a multi-GB model costs one read to hash and one to upload, never its size in memory.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join, posix, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { constants, gzip } from 'node:zlib';
import { CHUNK, sha256Bytes } from './digest.ts';

const BLOCK = 512;
/** Largest value an 11-digit octal ustar field holds (8 GiB - 1); beyond it a pax record says it. */
const MAX_OCTAL_11 = 0o77777777777;

export interface LayerEntry {
  path: string;
  /** Permission bits; 0o644 when left out. */
  mode?: number;
  data: Buffer | string;
}

export interface LayerOptions {
  /** Seconds since the epoch for every entry: SOURCE_DATE_EPOCH, or 0. */
  mtime: number;
}

export interface SmallLayer {
  tar: Buffer;
  gzip: Buffer;
  /** sha256 of the uncompressed tar (what the image config lists). */
  diffId: string;
  /** sha256 of the gzip (what the manifest lists). */
  digest: string;
  /** Bytes of the gzip. */
  size: number;
}

interface Item {
  path: string;
  kind: 'file' | 'dir' | 'symlink';
  mode: number;
  data?: Buffer;
  link?: string;
}

/**
 * Fixed deflate settings. The gzip header node writes has no name and mtime 0; its OS byte is
 * pinned below. The deflate bytes themselves are those of the zlib node is built with
 * (`process.versions.zlib`), so the runtime is pinned too (DESIGN.md: node24).
 */
const GZIP = { level: 6, memLevel: 8, windowBits: 15, strategy: constants.Z_DEFAULT_STRATEGY };
const GZIP_OS_UNIX = 3;
const gzipAsync = promisify(gzip);

export async function smallLayer(entries: LayerEntry[], options: LayerOptions): Promise<SmallLayer> {
  const items = entries.map<Item>((e) => ({
    path: cleanPath(e.path),
    kind: 'file',
    mode: checkMode(e.mode ?? 0o644, e.path),
    data: typeof e.data === 'string' ? Buffer.from(e.data) : e.data,
  }));
  return packSmall(items, options);
}

async function packSmall(items: Item[], { mtime }: LayerOptions): Promise<SmallLayer> {
  const tar = tarBuffer(withParents(items), checkMtime(mtime));
  const gz = await gzipAsync(tar, GZIP);
  gz[9] = GZIP_OS_UNIX;
  return { tar, gzip: gz, diffId: sha256Bytes(tar), digest: sha256Bytes(gz), size: gz.length };
}

export interface DirLayerOptions extends LayerOptions {
  /** Called with each path relative to `dir` (posix, no trailing slash); false on a directory skips it whole. */
  include?: (rel: string) => boolean;
}

/**
 * A directory tree as a small layer, rooted at `pathInImage`. Modes are reduced to 0755 (any x
 * bit) or 0644 so a runner's umask does not change the digest; symlinks stay symlinks. Held in
 * memory: meant for trees up to about 100 MB, such as one platform's native module.
 */
export async function dirLayer(
  dir: string,
  pathInImage: string,
  options: DirLayerOptions,
): Promise<SmallLayer> {
  const root = cleanPath(pathInImage);
  const items: Item[] = [{ path: root, kind: 'dir', mode: 0o755 }];
  await walk(dir, '', root, options.include ?? (() => true), items);
  return packSmall(items, options);
}

async function walk(dir: string, rel: string, root: string, include: (rel: string) => boolean, out: Item[]) {
  const names = (await readdir(join(dir, rel))).sort();
  for (const name of names) {
    const r = rel ? `${rel}/${name}` : name;
    if (!include(r)) continue;
    const abs = join(dir, r);
    const s = await lstat(abs);
    const path = `${root}/${r}`;
    if (s.isSymbolicLink()) out.push({ path, kind: 'symlink', mode: 0o777, link: await readlink(abs) });
    else if (s.isDirectory()) {
      out.push({ path, kind: 'dir', mode: 0o755 });
      await walk(dir, r, root, include, out);
    } else if (s.isFile()) {
      out.push({ path, kind: 'file', mode: s.mode & 0o111 ? 0o755 : 0o644, data: await readFile(abs) });
    }
    // Sockets, fifos and devices have no place in an image layer built from a checkout.
  }
}

export interface FileLayer {
  file: string;
  pathInImage: string;
  /** Bytes of the whole tar, known from the file's size alone. */
  size: number;
  /** Where the file's own bytes start inside the tar, and how many there are. */
  fileOffset: number;
  fileSize: number;
  /** A DigestCache key naming everything besides the file's bytes that the layer digest depends on. */
  cacheKey: string;
  /** The tar from `offset` on (header, file and padding alike), so an interrupted upload can resume. */
  open(offset?: number): Readable;
}

export interface FileLayerOptions extends LayerOptions {
  /** Permission bits of the file; 0o644 when left out. */
  mode?: number;
}

/** An uncompressed layer holding one big file, streamed from disk: weights barely compress. */
export async function fileLayer(
  file: string,
  pathInImage: string,
  options: FileLayerOptions,
): Promise<FileLayer> {
  const path = cleanPath(pathInImage);
  const mode = checkMode(options.mode ?? 0o644, pathInImage);
  const mtime = checkMtime(options.mtime);
  const fileSize = (await stat(file)).size;
  const items = withParents([{ path, kind: 'file', mode }]);
  const head = Buffer.concat(items.map((i) => header(i, i.path === path ? fileSize : 0, mtime)));
  const tail = Buffer.alloc(padding(fileSize) + 2 * BLOCK);
  const size = head.length + fileSize + tail.length;

  async function* chunks(offset: number): AsyncGenerator<Buffer> {
    if (offset < head.length) yield head.subarray(offset);
    const start = Math.max(0, offset - head.length);
    if (start < fileSize) {
      let read = 0;
      for await (const c of createReadStream(file, { start, end: fileSize - 1, highWaterMark: CHUNK })) {
        read += (c as Buffer).length;
        yield c as Buffer;
      }
      if (read !== fileSize - start) throw new Error(`${file} shrank while it was being read into a layer`);
    }
    const t = Math.max(0, offset - head.length - fileSize);
    if (t < tail.length) yield tail.subarray(t);
  }

  const open = (offset = 0): Readable => {
    if (!Number.isInteger(offset) || offset < 0 || offset > size) {
      throw new RangeError(`offset ${offset} is outside the layer (0..${size})`);
    }
    return Readable.from(chunks(offset), { objectMode: false, highWaterMark: CHUNK });
  };
  const cacheKey = `layer:v1:${path}:${mode.toString(8)}:${mtime}:${resolve(file)}`;
  return { file, pathInImage: path, size, fileOffset: head.length, fileSize, cacheKey, open };
}

export interface FileLayerDigest {
  /** sha256 of the tar: both the layer's digest and its diff ID, as it is not compressed. */
  digest: string;
  size: number;
  /** sha256 of the file itself, from the same read. */
  modelDigest: string;
  modelSize: number;
}

/** Hashes the layer and the file inside it in one pass over the stream. */
export async function layerDigest(layer: FileLayer): Promise<FileLayerDigest> {
  const tarHash = createHash('sha256');
  const fileHash = createHash('sha256');
  const from = layer.fileOffset;
  const to = from + layer.fileSize;
  let pos = 0;
  for await (const chunk of layer.open()) {
    const c = chunk as Buffer;
    tarHash.update(c);
    const a = Math.max(from, pos);
    const b = Math.min(to, pos + c.length);
    if (a < b) fileHash.update(c.subarray(a - pos, b - pos));
    pos += c.length;
  }
  if (pos !== layer.size) throw new Error(`${layer.file} changed while it was being hashed`);
  return {
    digest: `sha256:${tarHash.digest('hex')}`,
    size: pos,
    modelDigest: `sha256:${fileHash.digest('hex')}`,
    modelSize: layer.fileSize,
  };
}

/** Relative, `/`-separated, no `.` or `..` segments: a layer must not write outside its root. */
function cleanPath(path: string): string {
  const p = posix
    .normalize(path.replaceAll('\\', '/'))
    .replace(/^(\.\/|\/)+/, '')
    .replace(/\/+$/, '');
  if (!p || p === '.' || p === '..' || p.startsWith('../')) throw new Error(`bad path in layer: '${path}'`);
  return p;
}

function checkMode(mode: number, path: string): number {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new Error(`bad mode ${mode} for ${path}`);
  return mode;
}

function checkMtime(mtime: number): number {
  if (!Number.isInteger(mtime) || mtime < 0 || mtime > MAX_OCTAL_11) throw new Error(`bad mtime ${mtime}`);
  return mtime;
}

/** Adds a 0755 directory for every parent not listed, then sorts, so extraction order never varies. */
function withParents(items: Item[]): Item[] {
  const byPath = new Map<string, Item>();
  for (const item of items) {
    const seen = byPath.get(item.path);
    if (seen && !(seen.kind === 'dir' && item.kind === 'dir'))
      throw new Error(`'${item.path}' is in the layer twice`);
    byPath.set(item.path, item);
  }
  for (const item of items) {
    for (let dir = posix.dirname(item.path); dir !== '.'; dir = posix.dirname(dir)) {
      const seen = byPath.get(dir);
      if (seen && seen.kind !== 'dir')
        throw new Error(`'${dir}' is both a file and a directory in the layer`);
      if (!seen) byPath.set(dir, { path: dir, kind: 'dir', mode: 0o755 });
    }
  }
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function tarBuffer(items: Item[], mtime: number): Buffer {
  const parts: Buffer[] = [];
  for (const item of items) {
    const size = item.data?.length ?? 0;
    parts.push(header(item, size, mtime));
    if (item.data) parts.push(item.data, Buffer.alloc(padding(size)));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

const padding = (size: number) => (BLOCK - (size % BLOCK)) % BLOCK;

const TYPE = { file: '0', dir: '5', symlink: '2', pax: 'x' } as const;

/** One ustar header, preceded by a pax header when a name, link or size does not fit ustar's fields. */
function header(item: Item, size: number, mtime: number): Buffer {
  const name = item.kind === 'dir' ? `${item.path}/` : item.path;
  const pax: [string, string][] = [];
  const split = splitName(name);
  if (!split) pax.push(['path', name]);
  if (item.link !== undefined && Buffer.byteLength(item.link) > 100) pax.push(['linkpath', item.link]);
  if (size > MAX_OCTAL_11) pax.push(['size', String(size)]);
  const ustar = block({
    name: split?.name ?? name.slice(0, 99),
    prefix: split?.prefix ?? '',
    mode: item.mode,
    size: size > MAX_OCTAL_11 ? 0 : size,
    mtime,
    type: TYPE[item.kind],
    link: item.link && Buffer.byteLength(item.link) <= 100 ? item.link : '',
  });
  if (!pax.length) return ustar;
  const body = Buffer.from(pax.map(([k, v]) => paxRecord(k, v)).join(''));
  const paxHeader = block({
    name: 'PaxHeader',
    prefix: '',
    mode: 0o644,
    size: body.length,
    mtime,
    type: TYPE.pax,
    link: '',
  });
  return Buffer.concat([paxHeader, body, Buffer.alloc(padding(body.length)), ustar]);
}

/** ustar keeps up to 100 bytes of name plus 155 of prefix, split at a slash. */
function splitName(name: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { name, prefix: '' };
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) > 155) return undefined;
    if (rest && Buffer.byteLength(rest) <= 100) return { name: rest, prefix };
  }
  return undefined;
}

/** `<length> <key>=<value>\n`, where the length counts its own digits. */
function paxRecord(key: string, value: string): string {
  const base = Buffer.byteLength(` ${key}=${value}\n`);
  let len = base + 1;
  while (len !== base + String(len).length) len = base + String(len).length;
  return `${len} ${key}=${value}\n`;
}

interface Fields {
  name: string;
  prefix: string;
  mode: number;
  size: number;
  mtime: number;
  type: string;
  link: string;
}

function block(f: Fields): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(f.name, 0, 100, 'utf8');
  octal(b, 100, 8, f.mode);
  octal(b, 108, 8, 0);
  octal(b, 116, 8, 0);
  octal(b, 124, 12, f.size);
  octal(b, 136, 12, f.mtime);
  b.write(f.type, 156, 1, 'latin1');
  b.write(f.link, 157, 100, 'utf8');
  b.write('ustar\u000000', 257, 8, 'latin1');
  octal(b, 329, 8, 0);
  octal(b, 337, 8, 0);
  b.write(f.prefix, 345, 155, 'utf8');
  // The checksum is computed with its own field read as spaces.
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'latin1');
  return b;
}

function octal(b: Buffer, at: number, width: number, n: number) {
  b.write(`${n.toString(8).padStart(width - 1, '0')}\u0000`, at, width, 'latin1');
}
