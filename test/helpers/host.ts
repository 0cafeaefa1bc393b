import type { HostLogger } from '../../local/host';

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly msg: string;
  readonly fields: Record<string, unknown>;
}

/** A HostLogger that keeps every line (with its child bindings) in memory, for assertions. */
export function memoryLogger(): { logger: HostLogger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const make = (bindings: Record<string, unknown>): HostLogger => {
    const at =
      (level: LogLine['level']) =>
      (obj: object, msg?: string): void => {
        lines.push({ level, msg: msg ?? '', fields: { ...bindings, ...(obj as Record<string, unknown>) } });
      };
    return {
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return { logger: make({}), lines };
}

/** Polls `probe` until it returns a value other than undefined/false, or fails after `timeoutMs` naming `what`. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 20;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(250, delay * 2);
  }
}

/** Never used to connect: suites without blob or queue triggers make no storage calls. */
export const UNUSED_STORAGE = 'UseDevelopmentStorage=true';
