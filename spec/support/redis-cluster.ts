import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { dirname, join } from 'node:path';
import { findRedisServer, RedisServer } from './redis-server';

/**
 * A real Redis Cluster on loopback for the cluster specs: six `redis-server --cluster-enabled yes`
 * (each a {@link RedisServer}: a free port, a temporary directory holding its nodes.conf, killed when
 * the Node process exits), joined by `redis-cli --cluster create ... --cluster-replicas 1`: three
 * primaries, each with one replica. `cluster-node-timeout` is short (1 s), so that a killed primary's
 * replica takes over within a few seconds.
 *
 * @example
 * const cluster = await RedisCluster.start();
 * const primary = cluster.primaryOf(await cluster.slotOf('circuit-breaker:{api}:state'));
 * await cluster.server(primary).kill();    // its replica takes over
 * await cluster.close();
 */
export class RedisCluster {
  private constructor(
    readonly servers: readonly RedisServer[],
    private readonly cli: string,
  ) {}

  /** `cluster-node-timeout`, ms: how long a node may not answer before the others fail it over. */
  static readonly NODE_TIMEOUT = 1_000;

  /**
   * Starts six nodes, creates the cluster and waits until every node says `cluster_state:ok`.
   *
   * @throws Error when redis-server or redis-cli is missing, or the cluster is not ok within `timeout` ms
   */
  static async start(timeout = 20_000): Promise<RedisCluster> {
    const cli = findRedisCli();
    if (cli === undefined) throw new Error('redis-cli not found beside redis-server (apt-get install -y redis-tools)');
    const servers: RedisServer[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        servers.push(
          await RedisServer.start({
            extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(RedisCluster.NODE_TIMEOUT)],
          }),
        );
      }
      const cluster = new RedisCluster(servers, cli);
      const addresses = servers.map((s) => `${s.host}:${s.port}`);
      await cluster.redisCli(['--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes'], timeout);
      await cluster.healthy(timeout);
      return cluster;
    } catch (error) {
      await Promise.all(servers.map((s) => s.close()));
      throw error;
    }
  }

  /** Every node as `{ host, port }`, for a cluster client's seed list. */
  get nodes(): { host: string; port: number }[] {
    return this.servers.map(({ host, port }) => ({ host, port }));
  }

  /** The nodes' URLs, comma-separated (the fleet workers' `url` for a cluster). */
  get urls(): string {
    return this.servers.map((s) => s.url).join(',');
  }

  /** The server listening on `port`. */
  server(port: number): RedisServer {
    const found = this.servers.find((s) => s.port === port);
    if (found === undefined) throw new Error(`no node on port ${port}`);
    return found;
  }

  /** The nodes that are running. */
  get running(): RedisServer[] {
    return this.servers.filter((s) => s.running);
  }

  /** Runs one command on the node `port` (redis-cli), its reply as text. */
  command(port: number, args: readonly string[], timeout = 2_000): Promise<string> {
    return this.redisCli(['-p', String(port), ...args], timeout);
  }

  /** The hash slot of `key`. */
  async slotOf(key: string): Promise<number> {
    return Number((await this.command(this.running[0]!.port, ['CLUSTER', 'KEYSLOT', key])).trim());
  }

  /**
   * The port of the primary serving `slot`, as the running node `via` sees it (CLUSTER NODES), or
   * undefined while no live primary serves it.
   */
  async primaryOf(slot: number, via = this.running[0]!.port): Promise<number | undefined> {
    for (const line of (await this.command(via, ['CLUSTER', 'NODES'])).trim().split('\n')) {
      const [, address, flags, , , , , state, ...ranges] = line.split(' ');
      if (!flags!.includes('master') || flags!.includes('fail') || state !== 'connected') continue;
      const serves = ranges.some((range) => {
        const [from, to = from] = range.split('-').map(Number);
        return slot >= from! && slot <= to!;
      });
      if (serves) return Number(address!.split('@')[0]!.split(':')[1]);
    }
    return undefined;
  }

  /**
   * Until every running node says `cluster_state:ok` with every slot served, and every replica has
   * synced with its primary (a replica that never synced cannot take over: its data has no age).
   */
  async healthy(timeout = 20_000): Promise<void> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const states = await Promise.all(
        this.running.map(async (s) => `${await this.command(s.port, ['CLUSTER', 'INFO'])}${await this.command(s.port, ['INFO', 'replication'])}`).map((p) => p.catch(() => '')),
      );
      const synced = (info: string) => !/role:slave/.test(info) || /master_link_status:up/.test(info);
      if (states.every((info) => /cluster_state:ok/.test(info) && /cluster_slots_ok:16384/.test(info) && synced(info))) return;
      if (Date.now() > deadline) throw new Error(`the cluster is not ok after ${timeout} ms:\n${states.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * Moves `slot`, its keys with it, to the primary on port `to`, as `redis-cli --cluster reshard` does one
   * slot: IMPORTING on the target, MIGRATING on the source, MIGRATE of each key, then the slot assigned to
   * the target on every primary. Clients that still send the slot's commands to the source get `MOVED`.
   */
  async moveSlot(slot: number, to: number): Promise<void> {
    const from = await this.primaryOf(slot);
    if (from === undefined || from === to) throw new Error(`slot ${slot} is served by ${from ?? 'nobody'}: nothing to move to ${to}`);
    const id = async (port: number) => (await this.command(port, ['CLUSTER', 'MYID'])).trim();
    const [fromId, toId] = [await id(from), await id(to)];
    await this.command(to, ['CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', fromId]);
    await this.command(from, ['CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', toId]);
    for (;;) {
      const keys = (await this.command(from, ['CLUSTER', 'GETKEYSINSLOT', String(slot), '100'])).split('\n').filter((key) => key !== '');
      if (keys.length === 0) break;
      await this.command(from, ['MIGRATE', '127.0.0.1', String(to), '', '0', '5000', 'KEYS', ...keys]);
    }
    const primaries = await this.primaries();
    for (const port of [to, from, ...primaries.filter((p) => p !== to && p !== from)]) await this.command(port, ['CLUSTER', 'SETSLOT', String(slot), 'NODE', toId]);
  }

  /** The ports of the running primaries. */
  async primaries(): Promise<number[]> {
    const found: number[] = [];
    for (const server of this.running) if (/role:master/.test(await this.command(server.port, ['INFO', 'replication']))) found.push(server.port);
    return found;
  }

  /** `INFO commandstats` calls by command, summed over every running node. */
  async commandStats(): Promise<Map<string, number>> {
    const totals = new Map<string, number>();
    for (const s of this.running) {
      const stats = await this.command(s.port, ['INFO', 'commandstats']);
      for (const [, name, calls] of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) totals.set(name!, (totals.get(name!) ?? 0) + Number(calls));
    }
    return totals;
  }

  /** Kills every node and removes their directories. */
  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.close()));
  }

  private redisCli(args: readonly string[], timeout: number): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(this.cli, ['-h', '127.0.0.1', ...args], { timeout, encoding: 'utf8' }, (error, stdout, stderr) => {
        if (error) reject(new Error(`redis-cli ${args.join(' ')}: ${error.message}\n${stdout}${stderr}`));
        else resolve(stdout);
      });
    });
  }
}

/** `redis-cli` beside the `redis-server` found (or `$REDIS_CLI`), else undefined. */
export function findRedisCli(): string | undefined {
  const server = findRedisServer();
  const candidates = [process.env.REDIS_CLI, server === undefined ? undefined : join(dirname(server), 'redis-cli'), '/usr/bin/redis-cli'];
  for (const candidate of candidates) {
    if (candidate === undefined) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}
