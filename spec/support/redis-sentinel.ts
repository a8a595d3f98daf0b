import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRedisCli } from './redis-cluster';
import { findFreePort, findRedisServer, ping, RedisServer } from './redis-server';

/**
 * A real Redis Sentinel deployment on loopback for the Sentinel spec: a primary, a replica of it, and
 * one Sentinel (quorum 1) watching them as `mymaster`, with short timeouts (down after 500 ms), so that
 * a killed primary's replica is promoted within a couple of seconds. Every process is killed when the
 * Node process exits.
 */
export class RedisSentinel {
  /** The name the Sentinel monitors the primary by. */
  static readonly NAME = 'mymaster';

  private static readonly live = new Set<RedisSentinel>();
  static {
    process.once('exit', () => {
      for (const deployment of RedisSentinel.live) deployment.sentinel.kill('SIGKILL');
    });
  }

  private constructor(
    readonly primary: RedisServer,
    readonly replica: RedisServer,
    private readonly sentinel: ChildProcess,
    /** The Sentinel's port. */
    readonly port: number,
    private readonly dir: string,
  ) {}

  /** Starts the primary, its replica (synced) and the Sentinel (answering, watching both). */
  static async start(timeout = 10_000): Promise<RedisSentinel> {
    const executable = findRedisServer();
    if (executable === undefined) throw new Error('redis-server not found');
    const primary = await RedisServer.start();
    const replica = await RedisServer.start({ extraArgs: ['--replicaof', primary.host, String(primary.port)] });
    const dir = mkdtempSync(join(tmpdir(), 'redis-sentinel-spec-'));
    const port = await findFreePort();
    const config = join(dir, 'sentinel.conf');
    writeFileSync(
      config,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${RedisSentinel.NAME} ${primary.host} ${primary.port} 1`,
        `sentinel down-after-milliseconds ${RedisSentinel.NAME} 500`,
        `sentinel failover-timeout ${RedisSentinel.NAME} 2000`,
        '',
      ].join('\n'),
    );
    const sentinel = spawn(executable, [config, '--sentinel'], { stdio: 'ignore' });
    const deployment = new RedisSentinel(primary, replica, sentinel, port, dir);
    RedisSentinel.live.add(deployment);
    try {
      const deadline = Date.now() + timeout;
      while (!(await ping('127.0.0.1', port, 250)) || !(await deployment.replicaSynced())) {
        if (Date.now() > deadline) throw new Error(`the Sentinel deployment is not ready after ${timeout} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return deployment;
    } catch (error) {
      await deployment.close();
      throw error;
    }
  }

  /** The port of the primary the Sentinel names now. */
  async currentPrimary(): Promise<number> {
    const reply = await this.cli(this.port, ['SENTINEL', 'get-master-addr-by-name', RedisSentinel.NAME]);
    return Number(reply.trim().split('\n')[1]);
  }

  /** Kills every process and removes the directories. */
  async close(): Promise<void> {
    RedisSentinel.live.delete(this);
    this.sentinel.kill('SIGKILL');
    await Promise.all([this.primary.close(), this.replica.close()]);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async replicaSynced(): Promise<boolean> {
    const info = await this.cli(this.replica.port, ['INFO', 'replication']).catch(() => '');
    const watched = await this.cli(this.port, ['SENTINEL', 'replicas', RedisSentinel.NAME]).catch(() => '');
    return /master_link_status:up/.test(info) && watched.includes(String(this.replica.port));
  }

  private cli(port: number, args: readonly string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(findRedisCli() ?? 'redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.once('error', reject);
      child.once('close', () => resolve(out));
    });
  }
}
