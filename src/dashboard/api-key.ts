/**
 * The API key, kept for this tab only (sessionStorage: gone when the tab closes, never sent
 * anywhere but in the Authorization header, never put in a URL).
 */
const STORAGE_KEY = 'mcp-progress-gateway.api-key';

export function loadApiKey(): string | undefined {
  try {
    return sessionStorage.getItem(STORAGE_KEY) || undefined;
  } catch {
    // Storage disabled (a privacy mode): the key lives as long as the page.
    return undefined;
  }
}

export function saveApiKey(key: string): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, key);
  } catch {
    // See loadApiKey.
  }
}

export function forgetApiKey(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // See loadApiKey.
  }
}
