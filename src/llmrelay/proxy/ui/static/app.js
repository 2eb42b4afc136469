// The dashboard shell: sign-in, navigation between views (#/<view> in the URL fragment), and one
// place that shows errors. A 401 from the admin API signs out and shows the API's message.
import {
  api,
  ApiError,
  forgetKey,
  forgetSession,
  loadSession,
  rememberKey,
  SSO_SIGN_IN,
  signedIn,
  signOut,
} from "./api.js";
import { el } from "./dom.js";
import * as audit from "./view_audit.js";
import * as endUsers from "./view_end_users.js";
import * as keys from "./view_keys.js";
import * as models from "./view_models.js";
import * as spend from "./view_spend.js";
import * as teams from "./view_teams.js";
import * as users from "./view_users.js";

const VIEWS = [models, keys, teams, users, endUsers, spend, audit];
const byId = (id) => document.getElementById(id);
// per-view settings (page, grouping) kept while the tab lives; never the key
const memories = new Map(VIEWS.map((view) => [view.id, {}]));
let renderCount = 0;

function currentView() {
  const wanted = window.location.hash.replace(/^#\/?/, "");
  return VIEWS.find((view) => view.id === wanted) ?? VIEWS[0];
}

function showSignIn(message) {
  byId("app").hidden = true;
  byId("nav").hidden = true;
  byId("sign-out").hidden = true;
  byId("who").hidden = true;
  byId("view").replaceChildren();
  byId("sign-in").hidden = false;
  byId("sign-in-error").textContent = message ?? "";
  byId("key-input").focus();
}

function fail(error) {
  if (error instanceof ApiError && error.status === 401) {
    forgetKey();
    forgetSession();
    showSignIn(error.message);
    return;
  }
  byId("status").textContent = error instanceof Error ? error.message : String(error);
}

const context = (view) => ({
  memory: memories.get(view.id),
  reload: () => void showView(),
  // run a user action; its error (the API's message) is shown above the view
  act: async (action) => {
    byId("status").textContent = "";
    try {
      await action();
    } catch (error) {
      fail(error);
    }
  },
});

async function showView() {
  const view = currentView();
  const mine = ++renderCount;
  for (const link of byId("nav").querySelectorAll("a")) {
    link.classList.toggle("active", link.dataset.view === view.id);
    if (link.dataset.view === view.id) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  byId("status").textContent = "";
  const fresh = el("div", { class: "view", "data-view": view.id });
  try {
    await view.render(fresh, context(view));
  } catch (error) {
    if (mine === renderCount) fail(error);
    return;
  }
  // a slower, older render must not replace the view the user moved to since
  if (mine === renderCount) byId("view").replaceChildren(fresh);
}

function showApp(user) {
  // signed in by SSO: who (the key's owner is not known to the page)
  byId("who").textContent = user ? `${user.user_id} (${user.user_role})` : "";
  byId("who").hidden = !user;
  byId("sign-in").hidden = true;
  byId("sign-in-error").textContent = "";
  byId("app").hidden = false;
  byId("nav").hidden = false;
  byId("sign-out").hidden = false;
  void showView();
}

async function signIn(event) {
  event.preventDefault();
  const input = byId("key-input");
  const candidate = input.value.trim();
  if (candidate === "") return;
  const submit = byId("sign-in-button");
  submit.disabled = true;
  rememberKey(candidate);
  try {
    // any admin read proves the key: a wrong one answers 401 with the gateway's message
    await api.get("/key/list", { size: 1 });
  } catch (error) {
    forgetKey();
    // without a database the gateway has no admin API at all: say what to configure
    byId("sign-in-error").textContent =
      error instanceof ApiError && error.status === 404
        ? `${error.message}: this gateway has no admin API (set general_settings.database_url)`
        : error.message;
    return;
  } finally {
    submit.disabled = false;
  }
  input.value = "";
  showApp();
}

async function signOutClicked() {
  let next = null;
  try {
    next = await signOut();
  } catch (error) {
    byId("status").textContent = error instanceof Error ? error.message : String(error);
    return;
  }
  if (next) window.location.assign(next);
  else showSignIn("Signed out.");
}

async function start() {
  byId("nav").append(
    ...VIEWS.map((view) => el("a", { href: `#/${view.id}`, "data-view": view.id }, view.title)),
  );
  byId("sign-in-form").addEventListener("submit", signIn);
  byId("sign-out").addEventListener("click", () => void signOutClicked());
  byId("sso-button").addEventListener("click", () => window.location.assign(SSO_SIGN_IN));
  window.addEventListener("hashchange", () => {
    if (signedIn()) void showView();
  });
  if (signedIn()) {
    showApp();
    return;
  }
  let session = { sso: false, user: null };
  try {
    session = await loadSession();
  } catch (error) {
    byId("sign-in-error").textContent = error instanceof Error ? error.message : String(error);
  }
  byId("sso").hidden = !session.sso;
  if (session.user) showApp(session.user);
  else showSignIn();
}

void start();
