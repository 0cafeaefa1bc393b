/**
 * Sign-in for the console in Azure: the Microsoft identity platform's authorization code flow with PKCE through
 * MSAL.js (redirect, no popups). The access token for the app's API goes in the Authorization header of every
 * /api call; the app validates it and checks the app roles. Locally the config has no `auth` and nobody signs in
 * (the local host only listens on loopback).
 */
import {
  type AccountInfo,
  BrowserCacheLocation,
  InteractionRequiredAuthError,
  PublicClientApplication,
} from '@azure/msal-browser';

export interface ConsoleAuthConfig {
  readonly clientId: string;
  readonly authority: string;
  /** The API scope to request, e.g. `api://<app id>/user_impersonation`. */
  readonly scope: string;
}

export interface ConsoleConfig {
  readonly auth: ConsoleAuthConfig | null;
  readonly version: string;
}

export interface Session {
  readonly user: string | null;
  token(): Promise<string | undefined>;
  signOut(): Promise<void>;
}

export const LOCAL_SESSION: Session = { user: null, token: async () => undefined, signOut: async () => undefined };

export async function signIn(config: ConsoleAuthConfig): Promise<Session | 'redirecting'> {
  const redirectUri = new URL('./', window.location.href).toString();
  const msal = new PublicClientApplication({
    auth: { clientId: config.clientId, authority: config.authority, redirectUri, postLogoutRedirectUri: redirectUri },
    // Session storage: the token cache ends with the tab, and another site's script could not read it anyway (CSP).
    cache: { cacheLocation: BrowserCacheLocation.SessionStorage },
  });
  await msal.initialize();
  const result = await msal.handleRedirectPromise();
  const account: AccountInfo | undefined = result?.account ?? msal.getAllAccounts()[0];
  if (!account) {
    await msal.loginRedirect({ scopes: [config.scope], state: window.location.hash });
    return 'redirecting';
  }
  if (result?.state && result.state.startsWith('#')) window.location.hash = result.state;
  msal.setActiveAccount(account);
  return {
    user: account.username,
    async token() {
      try {
        return (await msal.acquireTokenSilent({ scopes: [config.scope], account })).accessToken;
      } catch (err) {
        if (err instanceof InteractionRequiredAuthError) {
          await msal.acquireTokenRedirect({ scopes: [config.scope], account, state: window.location.hash });
          return undefined;
        }
        throw err;
      }
    },
    signOut: () => msal.logoutRedirect({ account }),
  };
}
