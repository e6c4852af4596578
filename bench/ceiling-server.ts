/** The ceiling: bare Koa answering {hello:"world"}, the most this runtime does per core. */
import Koa from "koa";

const app = new Koa();
app.use((ctx) => {
  ctx.body = { hello: "world" };
});
const server = app.listen(Number(process.env.PORT ?? 0), "127.0.0.1");
server.keepAliveTimeout = 65_000;
process.on("SIGTERM", () => server.close(() => process.exit(0)));
