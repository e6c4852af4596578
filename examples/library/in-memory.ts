// Sign a user up and in from a plain script, every adapter in memory (nothing opened, nothing written).
// Run: npx tsx examples/library/in-memory.ts
import { createHybridAuth, InMemoryMailer } from "hybrid-auth";

const mailer = new InMemoryMailer(); // or your own Mailer: { send(message), ping() }
const auth = await createHybridAuth({ adapters: { mailer } });
const { signUp, verifyUser, signIn } = auth.useCases;
const [email, password] = ["ada@example.com", "correct horse battery"];

await signUp.execute({ name: "Ada", email, password });
await auth.settled(); // the code is mailed in the background
const otpCode = mailer.last(email, "verify-email")!.text.match(/\d{6}/)![0];
await verifyUser.execute({ email, otpCode });
const { user, tokens } = await signIn.execute({ email, password, meta: { ip: null, userAgent: "script" } });
console.log(`signed in ${user.email}; access token valid until ${tokens.accessTokenExpiresAt.toISOString()}`);
await auth.close();
