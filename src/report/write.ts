/** The renderer's only I/O: write a rendered report to a file, creating its folder. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Report } from './model';
import { renderReport, type RenderOptions } from './render';

/** Render `report` and write it to `path` (UTF-8). Resolves to the number of bytes written. */
export async function writeReport(path: string, report: Report, options: RenderOptions = {}): Promise<number> {
  const html = renderReport(report, options);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, html, 'utf8');
  return Buffer.byteLength(html, 'utf8');
}
