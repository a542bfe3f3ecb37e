/**
 * bench/clients.ts records a failed phase with the client's error in one line: for
 * @platformatic/kafka that means the codes and broker answers nested in MultipleErrors →
 * ResponseError, which console.error's default depth hides.
 */
import { describeClientError } from '../../../bench/lib/platformatic';

describe('describeClientError', () => {
  it('walks nested errors and keeps their codes and the broker responses, bigints as text', () => {
    const inner = Object.assign(new Error('Received response with error while executing API Produce(v11)'), {
      code: 'PLT_KFK_RESPONSE',
      response: { responses: [{ partitions: [{ index: 2, errorCode: 47, baseOffset: -1n }] }] },
    });
    const outer = Object.assign(new Error('Producing messages failed.'), { code: 'PLT_KFK_MULTIPLE', errors: [inner] });
    const line = describeClientError(outer);
    expect(line.split(' | ')).toEqual([
      'PLT_KFK_MULTIPLE Producing messages failed.',
      'PLT_KFK_RESPONSE Received response with error while executing API Produce(v11)',
      '{"responses":[{"partitions":[{"index":2,"errorCode":47,"baseOffset":"-1"}]}]}',
    ]);
  });

  it('describes a plain error by its message, and a non-error as nothing', () => {
    expect(describeClientError(new Error('boom'))).toBe('boom');
    expect(describeClientError('not an object')).toBe('');
  });

  it('stops at a bounded depth on a cyclic error', () => {
    const a: { message: string; errors: unknown[] } = { message: 'a', errors: [] };
    a.errors.push(a);
    expect(describeClientError(a).split(' | ')).toHaveLength(7);
  });
});
