import type { ImportErrorEvent } from './types';

/** The one-line form the CLI prints: `line 123: value 'abc' is not a number`. */
export function formatImportError(event: Pick<ImportErrorEvent, 'line' | 'reason'>): string {
  return `line ${event.line}: ${event.reason}`;
}
