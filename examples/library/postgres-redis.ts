// The same on PostgreSQL + Redis, configured like the server (DATABASE_URL, REDIS_URL, JWT_*...).
// Run: DATABASE_URL=postgres://... REDIS_URL=redis://... npx tsx examples/library/postgres-redis.ts
import { createHybridAuth, type Mailer } from "hybrid-auth";

if (!process.env.DATABASE_URL || !process.env.REDIS_URL) throw new Error("set DATABASE_URL and REDIS_URL");
let otpCode = ""; // your own Mailer next to the configured stores; SMTP_URL would send real mail
const mailer: Mailer = { send: async (m) => void (otpCode = m.text.match(/\d{6}/)?.[0] ?? otpCode), ping: async () => {} };
const auth = await createHybridAuth({ config: process.env, adapters: { mailer } });
const [email, password] = [`ada-${Date.now()}@example.com`, "correct horse battery"];

await auth.useCases.signUp.execute({ name: "Ada", email, password });
await auth.settled(); // the code is mailed in the background
await auth.useCases.verifyUser.execute({ email, otpCode });
const { user, session } = await auth.useCases.signIn.execute({ email, password, meta: { ip: null, userAgent: "script" } });
console.log(`signed in ${user.email} on ${auth.backends.database} + ${auth.backends.sessions}; session ${session.id}`);
await auth.close();
