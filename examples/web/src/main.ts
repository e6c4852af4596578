import { ApiError, OAUTH_PROVIDERS, createApiClient, type SessionInfo, type User } from "./api.js";

/*
 * The whole UI: plain DOM, no framework. `body[data-state]` says which view is showing
 * ("loading", "signed-out", "signed-in", "deactivated"), which is also what the browser test waits on.
 */

type View = "signed-out" | "signed-in" | "deactivated";

const apiUrl = document.querySelector<HTMLMetaElement>('meta[name="api-url"]')?.content || "http://localhost:9000";
const api = createApiClient(apiUrl, {
  onSignedOut: () => {
    show("signed-out");
    void showOAuthButtons();
  },
});

const $ = <T extends HTMLElement = HTMLElement>(selector: string): T => {
  const el = document.querySelector<T>(selector);
  if (!el) throw new Error(`missing element ${selector}`);
  return el;
};
const PROVIDER_LABELS: Record<(typeof OAUTH_PROVIDERS)[number], string> = { github: "GitHub", google: "Google", facebook: "Facebook" };

function show(view: View): void {
  document.body.dataset.state = view;
  $("#signed-out").hidden = view !== "signed-out";
  $("#signed-in").hidden = view !== "signed-in";
  $("#deactivated").hidden = view !== "deactivated";
}

function status(text: string, kind: "ok" | "error" = "ok"): void {
  const el = $("#status");
  el.textContent = text;
  el.dataset.kind = kind;
}

function fail(err: unknown): void {
  if (err instanceof ApiError) status(err.describe(), "error");
  else status(`Could not reach the API at ${api.baseUrl} (${err instanceof Error ? err.message : String(err)})`, "error");
}

function field(form: HTMLFormElement, name: string): string {
  const value = new FormData(form).get(name);
  return typeof value === "string" ? value : "";
}

/** Disables the form's buttons while a request runs, so a double click sends one request. */
function onSubmit(form: HTMLFormElement, handler: (form: HTMLFormElement) => Promise<void>): void {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void busy(form, () => handler(form));
  });
}

async function busy(container: HTMLElement, action: () => Promise<void>): Promise<void> {
  const buttons = [...container.querySelectorAll("button")];
  buttons.forEach((b) => (b.disabled = true));
  try {
    await action();
  } catch (err) {
    fail(err);
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

let currentName = "";

function renderProfile(user: User): void {
  currentName = user.name;
  $("#profile-name").textContent = user.name;
  $("#profile-email").textContent = user.email;
  $("#profile-meta").textContent = `${user.role} · member since ${new Date(user.createdAt).toLocaleDateString()}`;
  $<HTMLInputElement>('#avatar-form input[name="name"]').value = user.name;
  const avatar = $<HTMLImageElement>("#avatar");
  avatar.hidden = !user.avatar;
  if (user.avatar) avatar.src = user.avatar.url;
  else avatar.removeAttribute("src");
}

function renderSessions(sessions: SessionInfo[]): void {
  const list = $("#sessions");
  list.replaceChildren(
    ...sessions.map((s) => {
      const li = document.createElement("li");
      li.dataset.sessionId = s.id;
      li.className = s.current ? "current" : "";
      const label = document.createElement("span");
      label.textContent = `${s.current ? "This device · " : ""}${s.userAgent ?? "unknown client"} · ${s.ip ?? "?"} · last used ${new Date(s.lastUsedAt).toLocaleString()}`;
      li.append(label);
      if (!s.current) {
        const revoke = document.createElement("button");
        revoke.type = "button";
        revoke.className = "secondary revoke";
        revoke.textContent = "Revoke";
        revoke.addEventListener("click", () =>
          busy(li, async () => {
            await api.revokeSession(s.id);
            status("Session revoked");
            await loadSessions();
          }),
        );
        li.append(revoke);
      }
      return li;
    }),
  );
}

async function loadSessions(): Promise<void> {
  const { data } = await api.sessions();
  renderSessions(data.sessions);
}

/** Asks the API who is signed in; the cookies decide, nothing is kept in localStorage. */
async function loadAccount(): Promise<void> {
  try {
    const { data } = await api.profile();
    renderProfile(data.user);
    show("signed-in");
    await loadSessions();
  } catch (err) {
    if (err instanceof ApiError && err.code === "ACCOUNT_DEACTIVATED") return show("deactivated");
    if (err instanceof ApiError && err.status === 401) return show("signed-out");
    show("signed-out");
    throw err;
  }
}

let oauthProbe: Promise<(readonly [(typeof OAUTH_PROVIDERS)[number], boolean])[]> | null = null;

async function showOAuthButtons(): Promise<void> {
  // Probed once per page load: the configuration does not change while the page is open.
  oauthProbe ??= Promise.all(OAUTH_PROVIDERS.map(async (p) => [p, await api.oauthConfigured(p)] as const));
  const configured = await oauthProbe;
  const buttons = configured
    .filter(([, on]) => on)
    .map(([p]) => {
      const a = document.createElement("a");
      a.className = "button oauth";
      a.dataset.provider = p;
      a.href = api.oauthStartUrl(p); // a full navigation: the provider's page cannot load in fetch
      a.textContent = PROVIDER_LABELS[p];
      return a;
    });
  $("#oauth-buttons").replaceChildren(...buttons);
  $("#oauth").hidden = buttons.length === 0;
}

/** After an OAuth round trip the API sends the browser back here, with an error code on failure. */
function readOAuthOutcome(): void {
  const params = new URLSearchParams(location.search);
  const error = params.get("error") ?? params.get("oauthError");
  if (error) status(`Sign-in with the provider failed (${error})`, "error");
  const token = params.get("token") ?? params.get("deleteToken");
  if (token) {
    $<HTMLInputElement>('#delete-confirm-form input[name="token"]').value = token;
    $("#delete-confirm-form").hidden = false;
  }
  // The mailed deletion link lands on /account/delete?token=…: keep the token out of the address bar.
  if (error || token) history.replaceState(null, "", "/");
}

function wire(): void {
  const verifyForm = $<HTMLFormElement>("#verify-form");
  const signInForm = $<HTMLFormElement>("#signin-form");

  onSubmit($<HTMLFormElement>("#signup-form"), async (form) => {
    const password = field(form, "password");
    const { message, data } = await api.signUp({
      name: field(form, "name"),
      email: field(form, "email"),
      password,
      confirmPassword: field(form, "confirmPassword"),
    });
    status(message);
    form.reset();
    $<HTMLInputElement>('#verify-form input[name="email"]').value = data.email;
    verifyForm.hidden = false;
    $<HTMLInputElement>('#verify-form input[name="otpCode"]').focus();
  });

  onSubmit(verifyForm, async (form) => {
    const email = field(form, "email");
    await api.verifyEmail(email, field(form, "otpCode").trim());
    status("Email verified. You can sign in now.");
    form.reset();
    verifyForm.hidden = true;
    $<HTMLInputElement>('#signin-form input[name="email"]').value = email;
    $<HTMLInputElement>('#signin-form input[name="password"]').focus();
  });

  $("#resend-code").addEventListener("click", () =>
    busy(verifyForm, async () => {
      const { message } = await api.resendCode(field(verifyForm, "email"));
      status(message);
    }),
  );

  onSubmit(signInForm, async (form) => {
    try {
      await api.signIn(field(form, "email"), field(form, "password"));
    } catch (err) {
      if (err instanceof ApiError && err.code === "EMAIL_NOT_VERIFIED") {
        $<HTMLInputElement>('#verify-form input[name="email"]').value = field(form, "email");
        verifyForm.hidden = false;
      }
      throw err;
    }
    form.reset();
    status("Signed in");
    await loadAccount();
  });

  onSubmit($<HTMLFormElement>("#avatar-form"), async (form) => {
    const file = $<HTMLInputElement>('#avatar-form input[name="avatar"]').files?.[0];
    const name = field(form, "name").trim();
    // Send only what changed.
    const changes = { ...(name && name !== currentName ? { name } : {}), ...(file ? { avatar: file } : {}) };
    if (!changes.name && !changes.avatar) return status("Nothing to save");
    const { data } = await api.updateProfile(changes);
    renderProfile(data.user);
    $<HTMLInputElement>('#avatar-form input[name="avatar"]').value = "";
    status("Profile saved");
  });

  $("#refresh-sessions").addEventListener("click", () => busy($("#signed-in"), loadSessions));
  $("#revoke-others").addEventListener("click", () =>
    busy($("#signed-in"), async () => {
      const { data } = await api.revokeOtherSessions();
      status(`Signed out ${data.revoked} other session(s)`);
      await loadSessions();
    }),
  );

  onSubmit($<HTMLFormElement>("#password-form"), async (form) => {
    const { message } = await api.changePassword(field(form, "oldPassword"), field(form, "newPassword"));
    form.reset();
    status(message); // the API says that every other session was signed out
    await loadSessions();
  });

  onSubmit($<HTMLFormElement>("#delete-request-form"), async (form) => {
    const { message } = await api.requestAccountDeletion(field(form, "password"));
    form.reset();
    status(message);
    $("#delete-confirm-form").hidden = false;
  });

  onSubmit($<HTMLFormElement>("#delete-confirm-form"), async (form) => {
    const type = field(form, "type") === "hard" ? "hard" : "soft";
    const { message } = await api.deleteAccount(field(form, "token").trim(), type);
    form.reset();
    form.hidden = true;
    status(message);
    show("signed-out");
    await showOAuthButtons();
  });

  $("#reactivate").addEventListener("click", () =>
    busy($("#deactivated"), async () => {
      const { message } = await api.reactivateAccount();
      status(message);
      await loadAccount();
    }),
  );

  for (const button of document.querySelectorAll<HTMLButtonElement>("button.signout")) {
    button.addEventListener("click", () =>
      busy(button.parentElement ?? document.body, async () => {
        await api.signOut();
        status("Signed out");
        show("signed-out");
        await showOAuthButtons();
      }),
    );
  }
}

async function checkApi(): Promise<void> {
  const el = $("#api-status");
  try {
    await api.health();
    el.textContent = `API: ${api.baseUrl}`;
  } catch {
    el.textContent = `API unreachable: ${api.baseUrl}`;
  }
}

async function boot(): Promise<void> {
  wire();
  readOAuthOutcome();
  await checkApi();
  try {
    await loadAccount();
  } catch (err) {
    fail(err);
  }
  if (document.body.dataset.state === "signed-out") await showOAuthButtons();
}

void boot();
