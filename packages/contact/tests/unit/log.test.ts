import { describe, expect, it } from 'vitest';
import { errorAttributes, FlowguardError, type LineSink, Logger, REDACTED } from '../../src/index.js';

type Entry = Record<string, unknown>;
type LoggerOptions = ConstructorParameters<typeof Logger>[0];

/** A logger writing into an array, and the parsed lines it wrote. */
function capture(options: Partial<LoggerOptions> = {}): {
  logger: Logger;
  lines: string[];
  entries(): Entry[];
} {
  const lines: string[] = [];
  const sink: LineSink = (line) => lines.push(line);
  const logger = new Logger({ service: 'screen-caller', sink, ...options });
  return { logger, lines, entries: () => lines.map((line) => JSON.parse(line) as Entry) };
}

/** `{ a: { a: ... { a: leaf } } }`, `depth` levels deep. */
function nested(depth: number, leaf: unknown): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe('Logger', () => {
  it('keeps level, timestamp, service and message out of reach of attributes and child keys', () => {
    const { logger, entries } = capture();

    logger.child({ level: 'DEBUG', service: 'spoof' }).warn('real', { message: 'fake', timestamp: 'then' });

    expect(entries()[0]).toMatchObject({ level: 'WARN', service: 'screen-caller', message: 'real' });
    expect(entries()[0]?.timestamp).not.toBe('then');
  });

  it('writes one JSON line with level, timestamp, service and message', () => {
    const { logger, lines, entries } = capture();
    const before = Date.now();

    logger.info('invocation', { outcome: 'ok' });

    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    const [entry] = entries();
    expect(entry).toMatchObject({
      level: 'INFO',
      service: 'screen-caller',
      message: 'invocation',
      outcome: 'ok',
    });
    const timestamp = Date.parse(String(entry?.timestamp));
    expect(timestamp).toBeGreaterThanOrEqual(before - 1);
    expect(timestamp).toBeLessThanOrEqual(Date.now());
  });

  it('defaults to level info', () => {
    const { logger, entries } = capture();

    logger.debug('hidden');
    logger.info('shown');

    expect(logger.level).toBe('info');
    expect(entries().map((e) => e.message)).toEqual(['shown']);
  });

  it('drops entries below its level', () => {
    const { logger, entries } = capture({ level: 'warn' });

    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');

    expect(entries().map((e) => [e.level, e.message])).toEqual([
      ['WARN', 'w'],
      ['ERROR', 'e'],
    ]);
    expect(logger.isEnabled('info')).toBe(false);
    expect(logger.isEnabled('error')).toBe(true);
  });

  it('writes everything at debug and nothing when silent', () => {
    const debug = capture({ level: 'debug' });
    const silent = capture({ level: 'silent' });

    for (const { logger } of [debug, silent]) {
      logger.debug('d');
      logger.info('i');
      logger.warn('w');
      logger.error('e');
    }

    expect(debug.lines).toHaveLength(4);
    expect(silent.lines).toHaveLength(0);
    expect(silent.logger.isEnabled('silent')).toBe(false);
  });

  it('adds child keys to every line of the child only', () => {
    const { logger, entries } = capture();
    const child = logger.child({ contactId: 'c-1' });
    const grandchild = child.child({ requestId: 'r-1' });

    logger.info('parent');
    child.info('child');
    grandchild.info('grandchild');

    const [parent, one, two] = entries();
    expect(parent).not.toHaveProperty('contactId');
    expect(one).toMatchObject({ contactId: 'c-1' });
    expect(one).not.toHaveProperty('requestId');
    expect(two).toMatchObject({ contactId: 'c-1', requestId: 'r-1', service: 'screen-caller' });
  });

  it('keeps level and redaction in a child', () => {
    const { logger, lines } = capture({ level: 'warn', sensitiveKeys: ['pin'] });
    const child = logger.child({ contactId: 'c-1' });

    child.info('dropped');
    child.warn('kept', { pin: '4321' });

    expect(child.level).toBe('warn');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('4321');
  });

  describe('redaction', () => {
    it('redacts sensitive keys at any depth and in any case', () => {
      const { logger, lines, entries } = capture({ sensitiveKeys: ['cardNumber', 'PIN'] });

      logger.info('event', {
        cardNumber: '4111111111111111',
        event: {
          Details: {
            Parameters: { CARDNUMBER: '5500005555555559', pin: '1234' },
            list: [{ Pin: '9876' }, { other: 'fine' }],
          },
        },
      });

      const [entry] = entries();
      expect(entry?.cardNumber).toBe(REDACTED);
      expect(entry?.event).toEqual({
        Details: {
          Parameters: { CARDNUMBER: REDACTED, pin: REDACTED },
          list: [{ Pin: REDACTED }, { other: 'fine' }],
        },
      });
      for (const secret of ['4111111111111111', '5500005555555559', '1234', '9876']) {
        expect(lines[0]).not.toContain(secret);
      }
    });

    it('redacts a whole subtree under a sensitive key', () => {
      const { logger, lines } = capture({ sensitiveKeys: ['card'] });

      logger.info('x', { payload: { card: { number: '4111111111111111', expiry: '12/30' } } });

      expect(lines[0]).not.toContain('4111111111111111');
      expect(lines[0]).not.toContain('12/30');
    });

    it('redacts sensitive child keys', () => {
      const { logger, lines } = capture({ sensitiveKeys: ['token'] });

      logger.child({ token: 'tok_live_abc' }).info('x');

      expect(lines[0]).not.toContain('tok_live_abc');
      expect(lines[0]).toContain(REDACTED);
    });
  });

  describe('bounds', () => {
    it('cuts long strings to 1024 characters', () => {
      const { logger, entries } = capture();

      logger.info('x', { body: 'a'.repeat(5000) });

      const body = String(entries()[0]?.body);
      expect(body).toBe(`${'a'.repeat(1024)}...`);
    });

    it('elides values nested too deep', () => {
      const { logger, lines } = capture();

      logger.info('x', { deep: nested(12, 'bottom-value') });

      expect(lines[0]).toContain('[...]');
      expect(lines[0]).not.toContain('bottom-value');
    });

    it('keeps shallow nesting whole', () => {
      const { logger, entries } = capture();

      logger.info('x', { shallow: nested(4, 'leaf') });

      expect(entries()[0]?.shallow).toEqual(nested(4, 'leaf'));
    });

    it('survives a circular value', () => {
      const { logger, lines } = capture();
      const loop: Entry = { name: 'loop' };
      loop.self = loop;

      logger.info('x', { loop });

      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('[...]');
    });

    it('keeps at most 50 entries of an array or object', () => {
      const { logger, entries } = capture();
      const wide = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`k${i}`, i]));

      logger.info('x', { list: Array.from({ length: 80 }, (_, i) => i), wide });

      const [entry] = entries();
      expect(entry?.list).toHaveLength(50);
      expect(Object.keys(entry?.wide ?? {})).toHaveLength(50);
    });

    it('writes bigints as strings and drops functions', () => {
      const { logger, entries } = capture();

      logger.info('x', { big: 10n, fn: () => 1 });

      const [entry] = entries();
      expect(entry?.big).toBe('10');
      expect(entry).not.toHaveProperty('fn');
    });

    it('ignores __proto__ attributes without polluting any prototype', () => {
      const { logger, entries } = capture();
      const attributes = JSON.parse('{"__proto__": {"polluted": "yes"}, "nested": {"__proto__": {"x": 1}}}');

      logger.info('x', attributes);

      const [entry] = entries();
      expect(Object.getPrototypeOf(entry)).toBe(Object.prototype);
      expect(entry).not.toHaveProperty('polluted');
      expect(entry?.nested).toEqual({});
      expect(({} as Entry).polluted).toBeUndefined();
    });
  });

  it('logs an Error attribute through errorAttributes', () => {
    const { logger, lines, entries } = capture();

    logger.error('failed', { error: new Error('card 4111111111111111') });

    expect(lines[0]).not.toContain('4111111111111111');
    expect(entries()[0]?.error).toMatchObject({ errorName: 'Error' });
  });

  it('does not throw when its sink throws', () => {
    const logger = new Logger({
      service: 'screen-caller',
      sink: () => {
        throw new Error('stream closed');
      },
    });

    expect(() => logger.error('x', { a: 1 })).not.toThrow();
  });
});

describe('errorAttributes', () => {
  it('keeps name, code, message and stack frames of a FlowguardError', () => {
    const error = new FlowguardError('store_unavailable', 'limits table did not answer');

    const attributes = errorAttributes(error);

    expect(attributes).toMatchObject({
      errorName: 'FlowguardError',
      errorCode: 'store_unavailable',
      errorMessage: 'limits table did not answer',
    });
    const stack = attributes.errorStack;
    expect(Array.isArray(stack)).toBe(true);
    expect(Array.isArray(stack) && stack.length > 0 && stack.every((l) => String(l).startsWith('at '))).toBe(
      true,
    );
  });

  it('drops the message of a foreign error, which may quote its input', () => {
    const error = new Error('card 4111111111111111');

    const attributes = errorAttributes(error);

    expect(attributes).not.toHaveProperty('errorMessage');
    expect(attributes.errorName).toBe('Error');
    expect(JSON.stringify(attributes)).not.toContain('4111');
  });

  it('drops the input a JSON parse error quotes', () => {
    let thrown: unknown;
    try {
      JSON.parse('card 4111111111111111');
    } catch (error) {
      thrown = error;
    }

    const attributes = errorAttributes(thrown);

    expect(attributes.errorName).toBe('SyntaxError');
    expect(JSON.stringify(attributes)).not.toContain('4111');
  });

  it('keeps a string code of a foreign error and the name of its cause', () => {
    const error = Object.assign(new Error('connect ECONNRESET 10.0.0.1:443', { cause: new TypeError('x') }), {
      code: 'ECONNRESET',
    });

    const attributes = errorAttributes(error);

    expect(attributes).toMatchObject({ errorCode: 'ECONNRESET', errorCause: 'TypeError' });
    expect(JSON.stringify(attributes)).not.toContain('10.0.0.1');
  });

  it('keeps at most 8 stack frames', () => {
    const error = new Error('x');
    error.stack = [
      'Error: x',
      ...Array.from({ length: 20 }, (_, i) => `    at frame${i} (file.js:${i}:1)`),
    ].join('\n');

    const attributes = errorAttributes(error);

    expect(attributes.errorStack).toHaveLength(8);
  });

  it('gives only the type of a thrown non-error', () => {
    expect(errorAttributes('pin 1234')).toEqual({ errorName: 'string' });
    expect(errorAttributes(undefined)).toEqual({ errorName: 'undefined' });
  });
});
