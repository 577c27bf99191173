// A stand-in national e-ID provider: the certified `oidc-provider` package on loopback, with
// one confidential client and a fixed list of accounts whose claims carry a national ID number.
// Used by tests/identity/test_oidc_login.py and by `make demo` (scripts/demo.sh).
//
//   node provider.mjs --port 0 --client-id hocvu --client-secret s \
//        --redirect-uri http://testserver/eid/callback/ \
//        --post-logout-redirect-uri http://testserver/ --accounts accounts.json
//
// accounts.json: [{"sub": "...", "name": "...", "national_id": "001090000001"}, ...].
// The first line written to standard output is "listening on http://127.0.0.1:PORT".
// Test controls (not part of OpenID Connect): codes of the client "<client-id>-expiring"
// (same secret and redirect URIs) live one second; GET /_accounts lists the accounts.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    'client-id': { type: 'string', default: 'hocvu' },
    'client-secret': { type: 'string', default: 'hocvu-standin-secret' },
    'redirect-uri': { type: 'string', multiple: true, default: [] },
    'post-logout-redirect-uri': { type: 'string', multiple: true, default: [] },
    accounts: { type: 'string' },
    'id-claim': { type: 'string', default: 'national_id' },
  },
});

const idClaim = args['id-claim'];
const accounts = new Map(
  JSON.parse(readFileSync(args.accounts, 'utf8')).map((account) => [account.sub, account]),
);

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const page = (title, body) => `<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}
button{display:block;width:100%;margin:.5rem 0;padding:.6rem;font-size:1rem}
.note{color:#555;font-size:.9rem}</style></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const server = createServer();
await new Promise((resolve) => server.listen(Number(args.port), args.host, resolve));
const issuer = `http://${args.host}:${server.address().port}`;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'standin-1', alg: 'RS256', use: 'sig' };

const client = {
  client_id: args['client-id'],
  client_secret: args['client-secret'],
  client_name: 'hocvu',
  redirect_uris: args['redirect-uri'],
  post_logout_redirect_uris: args['post-logout-redirect-uri'],
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
};

const provider = new Provider(issuer, {
  clients: [client, { ...client, client_id: `${args['client-id']}-expiring` }],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: { openid: ['sub'], profile: ['name'], [idClaim]: [idClaim] },
  scopes: ['openid', 'profile', idClaim],
  pkce: { required: () => true },
  ttl: {
    AuthorizationCode: (ctx, token, clientInfo) =>
      clientInfo?.clientId?.endsWith('-expiring') ? 1 : 60,
    AccessToken: 600,
    IdToken: 600,
    Grant: 3600,
    Interaction: 600,
    Session: 3600,
  },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.body = page(
          'Đăng xuất khỏi định danh điện tử',
          `${form}<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Đăng xuất</button>
<button type="submit" form="op.logoutForm">Giữ đăng nhập</button>`,
        );
      },
      postLogoutSuccessSource: async (ctx) => {
        ctx.body = page('Đã đăng xuất', '<p>Bạn đã đăng xuất khỏi định danh điện tử.</p>');
      },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // A first-party client: the grant is given at login, no consent page.
  async loadExistingGrant(ctx) {
    const grantId =
      ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(['openid', 'profile', idClaim].join(' '));
    await grant.save();
    return grant;
  },
  async findAccount(ctx, sub) {
    const account = accounts.get(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, name: account.name, [idClaim]: account.national_id };
      },
    };
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Lỗi', `<pre>${escapeHtml(JSON.stringify(out, null, 2))}</pre>`);
  },
});

provider.use(async (ctx, next) => {
  if (ctx.path === '/_accounts' && ctx.method === 'GET') {
    ctx.body = [...accounts.values()];
    return;
  }
  const match = ctx.path.match(/^\/interaction\/([\w-]+)(\/login)?$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (match[2] && ctx.method === 'POST') {
    const form = await readForm(ctx.req);
    const sub = form.get('sub') || '';
    if (!accounts.has(sub)) {
      ctx.status = 400;
      ctx.body = page('Lỗi', '<p>Không có tài khoản này.</p>');
      return;
    }
    ctx.respond = false;
    await provider.interactionFinished(
      ctx.req,
      ctx.res,
      { login: { accountId: sub } },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  if (details.prompt.name !== 'login') {
    // The grant comes from loadExistingGrant; nothing to ask.
    ctx.respond = false;
    await provider.interactionFinished(ctx.req, ctx.res, {}, { mergeWithLastSubmission: true });
    return;
  }
  const buttons = [...accounts.values()]
    .map(
      (a) =>
        `<button type="submit" name="sub" value="${escapeHtml(a.sub)}">${escapeHtml(a.name)}` +
        ` <span class="note">(${escapeHtml(a.national_id)})</span></button>`,
    )
    .join('\n');
  ctx.type = 'html';
  ctx.body = page(
    'Định danh điện tử (máy chủ thay thế)',
    `<p class="note">Máy chủ thay thế để thử: chọn người đăng nhập.</p>
<form method="post" action="/interaction/${escapeHtml(details.uid)}/login">${buttons}</form>`,
  );
});

server.on('request', provider.callback());
console.log(`listening on ${issuer}`);
