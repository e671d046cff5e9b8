/**
 * The two kinds of failure DESIGN.md allows, never mixed. A ConfigurationError is the
 * user's to fix and ends the step with one line (what, where, how to fix) and exit 2.
 * Anything else is a bug and keeps its stack.
 */

/** A place in a file the user wrote: a contract, a data file, a workflow input. */
export interface Location {
  file?: string;
  line?: number;
  column?: number;
  /** A key path inside a structured file or an input name, e.g. `columns.price.min`. */
  path?: string;
}

export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
  readonly where: Location | undefined;
  readonly fix: string | undefined;

  constructor(what: string, options: { where?: Location; fix?: string; cause?: unknown } = {}) {
    super(what, options.cause === undefined ? undefined : { cause: options.cause });
    this.where = options.where;
    this.fix = options.fix;
  }

  /**
   * The single line shown to the user. The message gets its full stop only when it lacks one:
   * the text is never rewritten afterwards, because it quotes the user's input (`../data`, `0..5`).
   */
  render(): string {
    const place = formatLocation(this.where);
    const fix = this.fix ? ` ${this.fix}` : '';
    return `${place ? `${place}: ` : ''}${endSentence(this.message)}${fix}`;
  }
}

const endSentence = (s: string) => (/[.!?]$/.test(s) ? s : `${s}.`);

/** A data file or data contract the user must fix. */
export class DataError extends ConfigurationError {
  override name = 'DataError';
}

/** A missing, malformed or contradictory step input. */
export class InputError extends ConfigurationError {
  override name = 'InputError';
}

export function formatLocation(where: Location | undefined): string {
  if (!where) return '';
  const parts: string[] = [];
  if (where.file) {
    let file = where.file;
    if (where.line !== undefined) file += `:${where.line}`;
    if (where.line !== undefined && where.column !== undefined) file += `:${where.column}`;
    parts.push(file);
  }
  if (where.path) parts.push(where.path);
  return parts.join(': ');
}

export const EXIT = { passed: 0, failed: 1, configuration: 2, bug: 70 } as const;

export const ISSUES_URL = 'https://github.com/modelship/modelship/issues/new';
