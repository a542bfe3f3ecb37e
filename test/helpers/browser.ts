/**
 * A headless Chromium for the report and dashboard tests, driven by playwright-core, found
 * without a download from anywhere but the npm registry:
 *
 * 1. CHROMIUM_PATH, when set;
 * 2. a system Chromium (Debian's /usr/bin/chromium, Ubuntu's chromium-browser) where there is one;
 * 3. otherwise the headless shell that the devDependency @sparticuz/chromium ships inside its
 *    package (brotli-compressed, x64 Linux), unpacked at first use into the system's temporary
 *    folder under its version, and reused by every later run. It needs libnss3, libnspr4 and
 *    libexpat1, which Java's runtime already brings on Debian and Ubuntu.
 *
 * The package's own executablePath() is not used: it unpacks to a fixed /tmp/chromium shared
 * by every version and by concurrent test workers, and returns a file another worker may
 * still be writing. Here each worker writes a file of its own and renames it into place.
 */
import {
  chmodSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';

const SYSTEM_CHROMIUMS = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
const BUNDLED_PACKAGE = '@sparticuz/chromium';

/** The bundled headless shell, unpacked once per package version; its path. */
async function bundledChromium(): Promise<string> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `${BUNDLED_PACKAGE} ships Chromium for x64 Linux only; on ${process.platform}/${process.arch} install a Chromium and set CHROMIUM_PATH to it`,
    );
  }
  // The package's exports hide package.json: find it from its main module (build/cjs/index.cjs).
  const root = dirname(dirname(dirname(require.resolve(BUNDLED_PACKAGE))));
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const target = join(tmpdir(), `homeostat-chromium-${version}`, 'chromium');
  if (existsSync(target)) return target;
  const partial = `${target}.${process.pid}.partial`;
  try {
    mkdirSync(dirname(target), { recursive: true });
    await pipeline(
      createReadStream(join(root, 'bin', 'chromium.br')),
      createBrotliDecompress(),
      createWriteStream(partial),
    );
    chmodSync(partial, 0o755);
    renameSync(partial, target); // atomic: a concurrent worker sees no file or a whole one
  } finally {
    rmSync(partial, { force: true });
  }
  return target;
}

let found: Promise<string> | undefined;

/** Where the Chromium the tests use is (see the header for the order). */
export function chromiumPath(): Promise<string> {
  found ??= (async () => {
    const configured = process.env.CHROMIUM_PATH;
    if (configured !== undefined && configured !== '') {
      if (!existsSync(configured))
        throw new Error(`CHROMIUM_PATH=${configured} does not exist; unset it to use a system or the bundled Chromium`);
      return configured;
    }
    return SYSTEM_CHROMIUMS.find((p) => existsSync(p)) ?? (await bundledChromium());
  })();
  return found;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: await chromiumPath(),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
