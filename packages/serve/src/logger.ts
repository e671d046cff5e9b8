/**
 * Structured logs: one JSON object per line on stdout, which every log pipeline in a cluster
 * parses without configuration. It is also the Logger core's model loading reports to.
 */
import type { Logger } from '@modelship/core/platform/port.ts';
import { redact } from '@modelship/core/secrets/redact.ts';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type Level = keyof typeof LEVELS;

export class JsonLogger implements Logger {
  private readonly min: number;
  private readonly out: (line: string) => void;
  constructor(level: Level, out: (line: string) => void = (l) => process.stdout.write(l)) {
    this.min = LEVELS[level];
    this.out = out;
  }

  enabled(level: Level): boolean {
    return LEVELS[level] >= this.min;
  }

  log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
    if (!this.enabled(level)) return;
    this.out(`${redact(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }))}\n`);
  }

  info(message: string) {
    this.log('info', message);
  }
  warn(message: string) {
    this.log('warn', message);
  }
  notice(message: string) {
    this.log('info', message);
  }
  debug(message: string) {
    this.log('debug', message);
  }
  progress(message: string) {
    this.log('debug', message);
  }
}
