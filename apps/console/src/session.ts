/**
 * The API key of this browser tab's session: sessionStorage only (gone when the tab closes), never
 * in a URL, a cookie or a log.
 */
const KEY = 'flowgate.console.api_key';

export const session = {
  key: (): string | null => sessionStorage.getItem(KEY),
  signIn: (apiKey: string) => sessionStorage.setItem(KEY, apiKey),
  signOut: () => sessionStorage.removeItem(KEY),
};
