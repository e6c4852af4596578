/**
 * A local three-master Redis Cluster from the installed redis-server, on spare ports, for the
 * duration of one suite.
 */
import { spawnSync } from "node:child_process";
import { freePort, startRedis, waitFor, type RedisProcess } from "./processes.js";

export interface LocalCluster {
  nodes: RedisProcess[];
  /** host:port,host:port,host:port — the REDIS_CLUSTER_NODES value. */
  seeds: string;
  stop(): Promise<void>;
}

/** Ports whose cluster bus port (+10000) is free as well. */
async function clusterPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 10_000 > 65_535) continue;
    const probe = spawnSync("redis-cli", ["-p", String(port + 10_000), "ping"], { encoding: "utf8", timeout: 2_000 });
    if (!/PONG/.test(probe.stdout)) return port;
  }
}

export async function startCluster(): Promise<LocalCluster> {
  const ports = [await clusterPort(), await clusterPort(), await clusterPort()];
  const nodes = await Promise.all(
    ports.map((port) =>
      startRedis(["--cluster-enabled", "yes", "--cluster-config-file", `nodes-${port}.conf`, "--cluster-node-timeout", "2000", "--appendfsync", "everysec"], { port }),
    ),
  );
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop("SIGKILL")));
  };
  try {
    const create = spawnSync("redis-cli", ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "0", "--cluster-yes"], {
      encoding: "utf8",
      timeout: 30_000,
    });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}\n${create.stderr}`);
    await waitFor(
      "cluster_state:ok on every node",
      async () => nodes.every((n) => /cluster_state:ok/.test(n.cli("cluster", "info")) && /cluster_known_nodes:3/.test(n.cli("cluster", "info"))),
      20_000,
      100,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes, seeds: ports.map((p) => `127.0.0.1:${p}`).join(","), stop };
}
