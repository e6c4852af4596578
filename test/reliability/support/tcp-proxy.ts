/**
 * A TCP proxy the test can cut: the app talks to PostgreSQL through it, and `cut()` resets
 * every open connection and refuses new ones, as a crashed or unreachable database would.
 */
import net from "node:net";

export class TcpProxy {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  #cut = false;
  #port = 0;

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    this.#server = net.createServer((client) => this.#accept(client));
  }

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetHost, targetPort);
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once("error", reject);
      proxy.#server.listen(0, "127.0.0.1", () => resolve());
    });
    proxy.#port = (proxy.#server.address() as net.AddressInfo).port;
    return proxy;
  }

  get port(): number {
    return this.#port;
  }

  get openConnections(): number {
    return this.#sockets.size / 2;
  }

  /** Resets every connection in both directions and refuses new ones until restore(). */
  cut(): void {
    this.#cut = true;
    for (const socket of this.#sockets) socket.resetAndDestroy();
    this.#sockets.clear();
  }

  restore(): void {
    this.#cut = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: net.Socket): void {
    if (this.#cut) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect({ host: this.targetHost, port: this.targetPort });
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.#sockets.add(a);
      a.on("data", (chunk) => {
        if (!b.destroyed) b.write(chunk);
      });
      a.on("error", () => b.destroy());
      a.on("close", () => {
        this.#sockets.delete(a);
        b.destroy();
      });
    }
  }
}
