import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker, type CircuitBreakerLogger, type CircuitBreakerLogRecord } from '../../src';
import { ok, openTheCircuit, rejectionOf } from '../support/helpers';
import { uncaughtDuring } from '../support/uncaught';

/** console's shape: `warn(...data)` and `info(...data)`, plus methods the breaker must not use. */
function consoleShaped() {
  return { warn: sinon.spy(), info: sinon.spy(), error: sinon.spy(), log: sinon.spy(), debug: sinon.spy() };
}

/** pino's shape: methods that need `this` (they read the instance's bindings). */
class PinoShaped {
  readonly records: { level: string; object: unknown }[] = [];
  private readonly bindings = { service: 'users' };
  warn(object: unknown): void {
    this.records.push({ level: 'warn', object: { ...this.bindings, ...(object as object) } });
  }
  info(object: unknown): void {
    this.records.push({ level: 'info', object: { ...this.bindings, ...(object as object) } });
  }
  error(): void {
    throw new Error('not used');
  }
}

/** winston's shape: `logger.warn(info)` reads `info.message`. */
function winstonShaped() {
  const lines: string[] = [];
  const log = (level: string) => (info: { message: string }) => {
    lines.push(`${level}: ${info.message}`);
  };
  return { lines, warn: sinon.spy(log('warn')), info: sinon.spy(log('info')), log: sinon.spy() };
}

describe('logger option', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => clock.restore());

  /** Open, probe and close a breaker that logs to `logger`. */
  async function aFullCycle(logger: CircuitBreakerLogger): Promise<void> {
    const breaker = new CircuitBreaker({ name: 'logged', failureThreshold: 2, resetTimeout: 1_000, logger });
    await openTheCircuit(breaker);
    await rejectionOf(breaker.call(ok));
    clock.tick(1_000);
    await breaker.call(ok);
  }

  const opened: CircuitBreakerLogRecord = {
    event: 'circuit_breaker_opened',
    message: 'circuit_breaker_opened',
    breaker: 'logged',
    from: 'CLOSED',
    to: 'OPEN',
    reason: 'threshold',
    failures: 2,
    resetTimeout: 1_000,
  };
  const halfOpen: CircuitBreakerLogRecord = {
    event: 'circuit_breaker_half_open',
    message: 'circuit_breaker_half_open',
    breaker: 'logged',
    from: 'OPEN',
    to: 'HALF_OPEN',
    reason: 'reset-timeout',
  };
  const closed: CircuitBreakerLogRecord = {
    event: 'circuit_breaker_closed',
    message: 'circuit_breaker_closed',
    breaker: 'logged',
    from: 'HALF_OPEN',
    to: 'CLOSED',
    reason: 'probe-succeeded',
  };

  it('console-shaped: circuit_breaker_opened at warn, half_open and closed at info, one record each', async () => {
    const logger = consoleShaped();
    await aFullCycle(logger);
    expect(logger.warn.args).to.deep.equal([[opened]]);
    expect(logger.info.args).to.deep.equal([[halfOpen], [closed]]);
    for (const unused of [logger.error, logger.log, logger.debug]) expect(unused.called).to.equal(false);
  });

  it('pino-shaped: called as methods of the logger (`this` kept), one object each', async () => {
    const logger = new PinoShaped();
    await aFullCycle(logger);
    expect(logger.records).to.deep.equal([
      { level: 'warn', object: { service: 'users', ...opened } },
      { level: 'info', object: { service: 'users', ...halfOpen } },
      { level: 'info', object: { service: 'users', ...closed } },
    ]);
  });

  it('winston-shaped: the record\'s message is the event name', async () => {
    const logger = winstonShaped();
    await aFullCycle(logger);
    expect(logger.lines).to.deep.equal(['warn: circuit_breaker_opened', 'info: circuit_breaker_half_open', 'info: circuit_breaker_closed']);
    expect(logger.log.called).to.equal(false);
  });

  it('logs nothing for calls that change no state', async () => {
    const logger = consoleShaped();
    const breaker = new CircuitBreaker({ failureThreshold: 5, logger });
    await breaker.call(ok);
    await rejectionOf(breaker.call(() => Promise.reject(new Error('down'))));
    expect(logger.warn.called || logger.info.called).to.equal(false);
  });

  it('a logger that throws corrupts nothing: the error is re-raised on a later tick', async () => {
    const bug = new Error('logger bug');
    const logger = { warn: sinon.stub().throws(bug), info: sinon.spy() };
    const breaker = new CircuitBreaker({ failureThreshold: 1, logger });
    const onOpen = sinon.spy();
    breaker.onOpen(onOpen);
    const uncaught = await uncaughtDuring(async () => {
      await rejectionOf(breaker.call(() => Promise.reject(new Error('down'))));
    });
    expect(breaker.state).to.equal('OPEN');
    expect(onOpen.calledOnce).to.equal(true);
    expect(uncaught).to.have.ordered.members([bug]);
  });
});
