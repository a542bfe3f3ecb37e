/**
 * Low finding: a config error echoed the value it refused, and a SASL block refused as a
 * whole (two password sources at once) printed its password into the log. Secrets are
 * now redacted at any depth; the rest of the message still names key, value and fix.
 */
import { ConfigError } from '../../src/errors';
import { loadConfig } from '../../src/config/homeostat-config';

function message(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('config errors never echo a secret', () => {
  it('a SASL block with two password sources names the problem, not the password', () => {
    const text = message(() =>
      loadConfig({
        env: {},
        overrides: {
          kafka: {
            brokers: ['k:9092'],
            sasl: {
              mechanism: 'plain',
              username: 'svc',
              password: 'hunter2-very-secret',
              passwordEnv: 'KAFKA_PASSWORD',
            },
          },
        },
      }),
    );
    expect(text).toContain('kafka.sasl');
    expect(text).toContain('set exactly one of sasl.password');
    expect(text).toContain('"username":"svc"');
    expect(text).not.toContain('hunter2-very-secret');
  });

  it('a wrongly typed password is shown as <redacted>', () => {
    const text = message(() =>
      loadConfig({
        env: {},
        overrides: {
          kafka: { brokers: ['k:9092'], sasl: { mechanism: 'plain', username: 'svc', password: 12345678 } },
        },
      }),
    );
    expect(text).toContain('<redacted>');
    expect(text).not.toContain('12345678');
  });
});
