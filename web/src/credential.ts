// A credential an operator issued (the council's, the city staff's): where a device keeps it,
// and how it arrives — in a link's fragment (`#jeton=…`), which no server receives.

/** Read, keep and forget one token in a storage that may refuse (private mode, policy): then
 * the person signs in again on each screen. */
export function tokenStore(storage: () => Storage, key: string) {
  return {
    get(): string | null {
      try {
        return storage().getItem(key);
      } catch {
        return null;
      }
    },
    keep(token: string): void {
      try {
        storage().setItem(key, token);
      } catch {
        /* kept for this screen only */
      }
    },
    forget(): void {
      try {
        storage().removeItem(key);
      } catch {
        /* nothing kept */
      }
    },
  };
}

/** `…#jeton=…`: the token leaves the address bar and this history entry at once (a screenshot
 * or a shared screen would show it otherwise). */
export function tokenFromHash(): string | null {
  const match = /(?:^#|&)jeton=([^&]+)/.exec(location.hash);
  if (!match) return null;
  history.replaceState(history.state, "", location.pathname + location.search);
  try {
    return decodeURIComponent(match[1]).trim() || null;
  } catch {
    return null;
  }
}
