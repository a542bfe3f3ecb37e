import {
  ed25519Sign,
  ed25519Verify,
  generateEd25519,
  parseEd25519PrivateKey,
  parseEd25519PublicKey,
  rawPublicKey,
} from '../../../src/actions/ed25519';
import { generateKeyPairSync } from 'node:crypto';
import { ConfigError } from '../../../src/errors';

describe('Ed25519 keys and signatures', () => {
  const pair = generateEd25519();
  const priv = parseEd25519PrivateKey(pair.privateKey, 'test private');
  const pub = parseEd25519PublicKey(pair.publicKey, 'test public');

  it('verifies what it signs, and nothing else', () => {
    const sig = ed25519Sign(priv, 'payload');
    expect(ed25519Verify(pub, 'payload', sig)).toBe(true);
    expect(ed25519Verify(pub, 'payloaD', sig)).toBe(false);
    const other = parseEd25519PublicKey(generateEd25519().publicKey, 'other');
    expect(ed25519Verify(other, 'payload', sig)).toBe(false);
  });

  it('matches RFC 8032 test vector 1 (empty message)', () => {
    const seed = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
    const k = parseEd25519PrivateKey(`hex:${seed}`, 'rfc');
    const pub = Buffer.from(rawPublicKey(k), 'base64').toString('hex');
    expect(pub).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    expect(Buffer.from(ed25519Sign(k, ''), 'base64').toString('hex')).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    );
  });

  it('never throws on a malformed signature', () => {
    for (const bad of [undefined, null, 42, '', 'zz', 'A'.repeat(88), '!'.repeat(88), { a: 1 }]) {
      expect(ed25519Verify(pub, 'payload', bad)).toBe(false);
    }
  });

  it('reads PEM keys as openssl writes them', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const privatePem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const publicPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const p = parseEd25519PrivateKey(privatePem, 'pem private');
    const q = parseEd25519PublicKey(publicPem, 'pem public');
    expect(ed25519Verify(q, 'x', ed25519Sign(p, 'x'))).toBe(true);
  });

  it('refuses keys that are not Ed25519, naming where they came from', () => {
    const short = () => parseEd25519PublicKey('base64:AAAA', 'control.publicKeys[0]');
    expect(short).toThrow(/control\.publicKeys\[0\].*32 raw bytes/);
    const rsaKey = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    const rsa = rsaKey.export({ format: 'pem', type: 'spki' }).toString();
    expect(() => parseEd25519PublicKey(rsa, 'k')).toThrow(ConfigError);
    expect(() => parseEd25519PrivateKey('hunter2hunter2hunter2', 'k')).toThrow(/PEM block/);
  });
});
