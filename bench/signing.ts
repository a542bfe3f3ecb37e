/**
 * What asymmetric command signatures cost: Ed25519 sign (processor) and verify (executor)
 * per command against HMAC-SHA256 over the same bytes in the same run — the scheme it
 * replaced — and against building the canonical JSON alone (the part both share). Also the
 * ops server's bearer-token check (two sha256 and a constant-time compare per request) and
 * the line-protocol float scanner against the regular expression it replaced, on a normal
 * float and on a 10 000-digit run.
 *
 *   npx tsx bench/signing.ts [commands]
 *
 * Writes bench/results/signing/<ISO time>.json. Figures are per operation, medians of 7 rounds; the
 * machine may be shared, so compare the ratios, which are measured in the same run.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import {
  buildCommand,
  completeParams,
  ed25519Sign,
  generateEd25519,
  keyringFor,
  parseEd25519PrivateKey,
  signingPayload,
  verifyCommand,
} from '../src/actions';
import { isFloatText } from '../src/ingest/influx';
import { writeResult } from './lib/results';
import type { Command } from '../src/model/command';

const N = Number(process.argv[2] ?? 5_000);
const ROUNDS = 7;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median ns per call of `fn(i)` over N calls, ROUNDS rounds. */
function time(fn: (i: number) => unknown, n = N): number {
  const per: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn(i);
    per.push(Number(process.hrtime.bigint() - t0) / n);
  }
  return median(per);
}

const signing = { keyId: 'bench', privateKey: parseEd25519PrivateKey(generateEd25519().privateKey, 'bench') };
const ring = keyringFor(signing);
const hmacKey = Buffer.alloc(32, 7);
const commands: Command[] = Array.from({ length: N }, (_, i) =>
  buildCommand(
    {
      policy: 'worker-timeouts',
      policyVersion: 'a1b2c3d4',
      target: `worker-${i % 64}`,
      type: 'query_timeout.set',
      params: completeParams({ timeoutMs: 800 + (i % 100) }),
      mode: 'enforce',
      reason: 'queue.depth mean 80 > 50 for 3 windows',
      evidence: [{ signal: 'queue.depth:mean', value: 80 + i / 7, threshold: 50, comparison: '>' }],
      windowStart: 1_767_225_590_000 + i * 10_000,
      windowEnd: 1_767_225_600_000 + i * 10_000,
      issuedAt: 1_767_225_600_000 + i * 10_000,
      leaseMs: 30_000,
    },
    signing,
  ),
);
const payloads = commands.map(signingPayload);
const macs = payloads.map((p) => createHmac('sha256', hmacKey).update(p, 'utf8').digest('hex'));

const canonicalNs = time((i) => signingPayload(commands[i]));
const hmacSignNs = time((i) => createHmac('sha256', hmacKey).update(payloads[i], 'utf8').digest('hex'));
const hmacVerifyNs = time((i) => {
  const expected = createHmac('sha256', hmacKey).update(signingPayload(commands[i]), 'utf8').digest();
  return timingSafeEqual(expected, Buffer.from(macs[i], 'hex'));
});
const edSignNs = time((i) => ed25519Sign(signing.privateKey, payloads[i]));
const edVerifyNs = time((i) => verifyCommand(commands[i], ring).ok);

const token = 'a-bearer-token-of-thirty-two-chars';
const tokenNs = time(() =>
  timingSafeEqual(createHash('sha256').update(token).digest(), createHash('sha256').update(token).digest()),
);

const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const normal = '-1.2345678901234567e+78';
const longRun = `${'1'.repeat(10_000)}x`;
const scanNormalNs = time(() => isFloatText(normal));
const regexNormalNs = time(() => FLOAT.test(normal));
const scanLongNs = time(() => isFloatText(longRun), 20);
const regexLongNs = time(() => FLOAT.test(longRun), 3);

const us = (ns: number): number => Math.round(ns / 10) / 100;
const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;
const result = {
  commands: N,
  rounds: ROUNDS,
  perCommandMicros: {
    canonicalJson: us(canonicalNs),
    hmacSign: us(hmacSignNs),
    hmacVerifyWithCanonical: us(hmacVerifyNs),
    ed25519Sign: us(edSignNs),
    ed25519VerifyWithCanonical: us(edVerifyNs),
  },
  ratios: {
    ed25519SignOverHmacSign: ratio(edSignNs, hmacSignNs),
    ed25519VerifyOverHmacVerify: ratio(edVerifyNs, hmacVerifyNs),
  },
  bearerTokenCheckMicros: us(tokenNs),
  lineProtocolFloat: {
    normalScannerMicros: us(scanNormalNs),
    normalRegexMicros: us(regexNormalNs),
    tenThousandDigitsScannerMicros: us(scanLongNs),
    tenThousandDigitsRegexMicros: us(regexLongNs),
    tenThousandDigitsRegexOverScanner: ratio(regexLongNs, scanLongNs),
  },
};
const out = writeResult('signing', result);
process.stdout.write(`${JSON.stringify(result, null, 2)}\nwrote ${out}\n`);
