// Checked once at start-up, before Steward opens its port: Lark issues a tenant
// token for LARK_APP_ID and LARK_APP_SECRET at LARK_DOMAIN (a store app's: Lark
// takes them to push a fresh app_ticket). Without this the SDK
// only logs a refused token at the first API call, and its long connection
// quietly gives up, so a Steward with a wrong secret would run, healthy to all
// appearances, and answer nobody.
import { ConfigError, type Config } from '../../config.js';

/** How long start-up waits for Lark's token endpoint. */
const CHECK_MS = 10_000;

/** The Open API base for LARK_DOMAIN, as the SDK resolves `feishu` and `lark`. */
export function openApiBase(domain: string): string {
  return domain === 'feishu' ? 'https://open.feishu.cn' : domain === 'lark' ? 'https://open.larksuite.com' : domain.replace(/\/+$/, '');
}

/**
 * Asks Lark for a tenant token; throws a ConfigError naming the variable to fix
 * when Lark refuses the app id (code 10003) or the secret (10014), when another
 * code refuses both, or when LARK_DOMAIN cannot be reached.
 */
export async function checkLarkCredentials(config: Pick<Config, 'LARK_APP_ID' | 'LARK_APP_SECRET' | 'LARK_DOMAIN'> & Partial<Pick<Config, 'LARK_APP_TYPE'>>): Promise<void> {
  const base = openApiBase(config.LARK_DOMAIN);
  // A store app has no token without an app_ticket: asking Lark to push one checks the same id and secret (and brings the ticket).
  const isv = config.LARK_APP_TYPE === 'isv';
  let res: Response;
  try {
    res = await fetch(`${base}/open-apis/auth/v3/${isv ? 'app_ticket/resend' : 'tenant_access_token/internal'}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ app_id: config.LARK_APP_ID, app_secret: config.LARK_APP_SECRET }),
      signal: AbortSignal.timeout(CHECK_MS),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
    throw new ConfigError(`LARK_DOMAIN: could not reach Lark's Open API at ${base} (${why}); check LARK_DOMAIN (feishu, lark, or a base URL) and the network`);
  }
  const body = (await res.json().catch(() => undefined)) as { code?: number; msg?: string; tenant_access_token?: string } | undefined;
  if (body?.code === 0 && (isv || body.tenant_access_token)) return;
  const said = body ? `code ${body.code}${body.msg ? `: ${body.msg}` : ''}` : `HTTP ${res.status}`;
  if (body?.code === 10014) throw new ConfigError(`LARK_APP_SECRET: Lark refused the app secret (${said}); copy it again from the developer console (Credentials & Basic Info)`);
  if (body?.code === 10003) throw new ConfigError(`LARK_APP_ID: Lark does not know app ${config.LARK_APP_ID} (${said}); copy the App ID from the developer console`);
  if (!body) throw new ConfigError(`LARK_DOMAIN: ${base} did not answer as Lark's Open API does (${said}); check LARK_DOMAIN`);
  throw new ConfigError(`LARK_APP_SECRET: Lark refused the app's credentials (${said}); check LARK_APP_ID and LARK_APP_SECRET in the developer console`);
}
