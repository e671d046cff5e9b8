/**
 * The contract's YAML, read defensively. A contract arrives in pull requests, so binary junk,
 * nesting deep enough to exhaust the stack, alias bombs and dangling aliases each end as one
 * configuration error that names the line, never as a crash or a stack trace.
 */
import { type Alias, CST, type Document, Lexer, LineCounter, parseDocument, visit } from 'yaml';
import { ConfigurationError, type Location } from '../../errors.ts';

/** A contract is a few levels deep (columns → name → rule → value); past this is runaway. */
export const MAX_DEPTH = 64;
/** yaml's own default: an alias may expand to at most this many copies of anchored nodes. */
export const MAX_ALIAS_COUNT = 100;

export interface ParsedYaml {
  doc: Document.Parsed;
  lines: LineCounter;
  value: unknown;
}

export function parseYaml(text: string, file: string): ParsedYaml {
  refuseBinary(text, file);
  refuseDeepNesting(text, file);
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    uniqueKeys: true,
    prettyErrors: false,
  });
  const syntax = doc.errors[0];
  if (syntax) throw syntaxError(syntax, text, file);
  try {
    return { doc, lines, value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (e) {
    // toJS throws a ReferenceError for exactly two things: an alias bomb and a dangling alias.
    if (!(e instanceof ReferenceError)) throw e;
    throw aliasError(e, doc, text, file);
  }
}

/** 1-based line and column of an offset, without trusting a parser that may not have run. */
function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

const at = (text: string, file: string, offset: number): Location => ({ file, ...position(text, offset) });

/** YAML is printable text: a NUL, a control character or a byte that is not UTF-8 is the wrong file. */
function refuseBinary(text: string, file: string) {
  const bad = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F\uFFFD]/.exec(text);
  if (!bad) return;
  const code = bad[0] === '\uFFFD' ? 'a byte that is not UTF-8' : `the control character U+${hex(bad[0])}`;
  throw new ConfigurationError(`the contract is not YAML text: it contains ${code}`, {
    where: at(text, file, bad.index),
    fix: 'Point the contract input at the data contract, a UTF-8 YAML file.',
  });
}

const hex = (c: string) => c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');

/**
 * yaml's composer recurses once per level, and its CST parser slows down quadratically with
 * depth, so nesting is measured first on the lexer's token stream, which is linear and lazy:
 * a runaway file is refused as soon as its depth passes the limit. The depth counted is the
 * open flow brackets, the indentation levels, and the indicators (`- `, `? `, `: `) on the
 * current line; it can only overcount by one per line, far below the limit for any real contract.
 */
function refuseDeepNesting(text: string, file: string) {
  const indents: number[] = [];
  let [flow, inline, offset, indent] = [0, 0, 0, 0];
  let lineStart = true;
  for (const source of new Lexer().lex(text)) {
    const type = CST.tokenType(source);
    if (type === 'newline') [lineStart, inline, indent] = [true, 0, 0];
    else if (lineStart && type === 'space') indent = source.length;
    else if (type !== 'comment' && type !== 'space') {
      if (lineStart && flow === 0) {
        while (indents.length && indents.at(-1)! >= indent) indents.pop();
        indents.push(indent);
      }
      lineStart = false;
      if (type === 'flow-map-start' || type === 'flow-seq-start') flow++;
      else if (type === 'flow-map-end' || type === 'flow-seq-end') flow = Math.max(0, flow - 1);
      else if (flow === 0 && INDICATORS.has(type)) inline++;
      if (flow + inline + indents.length > MAX_DEPTH) {
        throw new ConfigurationError(`the contract nests deeper than ${MAX_DEPTH} levels`, {
          where: at(text, file, offset),
          fix: 'A contract is a few levels deep (columns → name → rule); look for runaway brackets or indentation here.',
        });
      }
    }
    if (!MARKERS.has(source)) offset += source.length;
  }
}

const INDICATORS = new Set<string | null>(['seq-item-ind', 'explicit-key-ind', 'map-value-ind']);
/** Lexer tokens that stand for a state change and occupy no characters of the source. */
const MARKERS = new Set(['\x02', '\x18', '\x1f']);

const SYNTAX_FIX: Partial<Record<string, string>> = {
  DUPLICATE_KEY: 'Each key may appear once in a mapping: merge the two entries or rename one.',
  TAB_AS_INDENT: 'Indent with spaces, not tabs.',
  MULTIPLE_DOCS: 'Keep one YAML document in the contract file: remove the second `---` and what follows.',
};

function syntaxError(error: Document.Parsed['errors'][number], text: string, file: string) {
  const offset = error.pos[0];
  const what =
    error.code === 'DUPLICATE_KEY'
      ? `duplicate key '${/^[^:\n]*/.exec(text.slice(offset))![0].trim()}'`
      : error.code === 'MULTIPLE_DOCS'
        ? 'the contract holds more than one YAML document'
        : `invalid YAML: ${error.message.split('\n')[0]}`;
  return new ConfigurationError(what, {
    where: at(text, file, offset),
    fix: SYNTAX_FIX[error.code] ?? 'Fix the YAML syntax (indentation, quotes, colons).',
  });
}

function aliasError(e: ReferenceError, doc: Document.Parsed, text: string, file: string) {
  const aliases: Alias[] = [];
  visit(doc, {
    Alias(_, node) {
      aliases.push(node);
    },
  });
  const dangling = aliases.find((a) => a.resolve(doc) === undefined);
  const alias = dangling ?? aliases[0];
  const where = alias?.range ? at(text, file, alias.range[0]) : { file };
  if (dangling) {
    return new ConfigurationError(`alias '*${dangling.source}' names no anchor set before it`, {
      where,
      fix: `Define the anchor (&${dangling.source}) before the alias, or write the value out.`,
      cause: e,
    });
  }
  return new ConfigurationError(
    `the contract's aliases expand to more than ${MAX_ALIAS_COUNT} copies of their anchors (an alias bomb)`,
    {
      where,
      fix: 'Write the values out, or alias only anchors that contain no aliases themselves.',
      cause: e,
    },
  );
}
