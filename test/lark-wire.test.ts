// The fake Lark in fake-lark.ts speaks the wire protocol the REAL SDK expects:
// its encryption round-trips through the SDK's AESCipher (and the SDK decrypts
// Lark's published vector), the SDK's Client sends, replies, patches and reads
// users through it with a tenant token it fetched, and the SDK's WSClient
// connects, answers pings, receives (fragmented) events and reconnects after a
// drop, all over frames this file never encodes with the SDK's own code.
import * as lark from '@larksuiteoapi/node-sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_APP, FAKE_BOT, FakeLark, cardActionEvent, encrypt, messageEvent, p2pChatId, postToApp, signature, urlVerification } from './fake-lark.js';

/** The SDK logs every failed request at error level; keep them for assertions instead of the console. */
function quietLogger() {
  const errors: unknown[][] = [];
  const none = () => undefined;
  return { errors, error: (...a: unknown[]) => void errors.push(a), warn: none, info: none, debug: none, trace: none };
}

/** A token cache of the Client's own: the SDK's default one is process-wide (see fake-lark.ts). */
function freshCache(): lark.Cache {
  const values = new Map<string, unknown>();
  const k = (key: unknown, ns?: string) => `${ns ?? ''}/${String(key)}`;
  return {
    get: async (key, o) => values.get(k(key, o?.namespace)),
    set: async (key, value, _expire, o) => {
      values.set(k(key, o?.namespace), value);
      return true;
    },
  };
}

interface AxiosLike {
  response?: { status: number; headers: Record<string, string>; data: { code: number; msg: string } };
}

describe('encryption, as Lark does it', () => {
  it("the SDK's AESCipher decrypts the published vector", () => {
    expect(new lark.AESCipher('test key').decrypt('P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=')).toBe('hello world');
  });

  it('encrypt() round-trips through the SDK, Chinese and long text included', () => {
    const cipher = new lark.AESCipher('kx-encrypt-key');
    for (const text of ['hello world', '客户续约提醒：请在周五前联系张伟', JSON.stringify(messageEvent({ text: 'x'.repeat(5000), from: 'ou_a', chatType: 'p2p' }))]) {
      const sealed = encrypt('kx-encrypt-key', text);
      expect(cipher.decrypt(sealed)).toBe(text);
      // A fresh IV each time.
      expect(encrypt('kx-encrypt-key', text)).not.toBe(sealed);
    }
  });

  it("postToApp's encrypted, signed body is what the SDK's EventDispatcher accepts", async () => {
    const { createServer } = await import('node:http');
    const seen: unknown[] = [];
    const dispatcher = new lark.EventDispatcher({ encryptKey: 'ek', verificationToken: 'v-token', loggerLevel: lark.LoggerLevel.error, logger: quietLogger() }).register({
      'im.message.receive_v1': async (data: { message: { content: string } }) => {
        seen.push(JSON.parse(data.message.content));
        return 'done';
      },
    });
    const handle = lark.adaptDefault('/lark', dispatcher, { autoChallenge: true });
    // The SDK's handler is async and node:http ignores what a listener returns: a rejection answers 500 rather than float.
    const server = createServer((req, res) => {
      handle(req, res).catch(() => res.writeHead(500).end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/lark`;
    try {
      const ok = await postToApp(url, messageEvent({ text: '你好', from: 'ou_a', chatType: 'p2p' }), { encryptKey: 'ek' });
      expect(ok).toMatchObject({ status: 200, json: 'done' });
      expect(seen).toEqual([{ text: '你好' }]);
      // A wrong signature is dropped by the SDK (it answers `undefined`, i.e. an empty body).
      const bad = await postToApp(url, messageEvent({ text: 'no', from: 'ou_a', chatType: 'p2p' }), { encryptKey: 'ek', badSignature: true });
      expect(bad.text).toBe('');
      expect(seen).toHaveLength(1);
      const challenge = await postToApp(url, urlVerification('v-token', 'ch-1'), { encryptKey: 'ek' });
      expect(challenge.json).toEqual({ challenge: 'ch-1' });
    } finally {
      server.close();
    }
    expect(signature('1', 'n', 'k', '{}')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("the Open API, through the SDK's Client", () => {
  let fake: FakeLark;
  let client: lark.Client;
  let logger: ReturnType<typeof quietLogger>;

  beforeEach(async () => {
    fake = new FakeLark();
    await fake.start();
    logger = quietLogger();
    client = new lark.Client({ ...FAKE_APP, domain: fake.url, loggerLevel: lark.LoggerLevel.error, logger, cache: freshCache() });
  });
  afterEach(() => fake.stop());

  it('sends a card and reads a user with a tenant token it fetched', async () => {
    fake.addUser({ open_id: 'ou_wei', name: '张伟', en_name: 'Wei Zhang', time_zone: 'Asia/Shanghai' });
    const card = { schema: '2.0', header: { title: { tag: 'plain_text', content: 'Acme renewal' } }, body: { elements: [{ tag: 'markdown', content: '**Due Friday**' }] } };
    const sent = await client.im.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: 'ou_wei', msg_type: 'interactive', content: JSON.stringify(card) },
    });
    expect(sent.code).toBe(0);
    const id = sent.data!.message_id!;
    expect(sent.data).toMatchObject({ message_id: id, chat_id: p2pChatId('ou_wei'), msg_type: 'interactive' });
    expect(fake.messages.get(id)).toMatchObject({ receive_id: 'ou_wei', receive_id_type: 'open_id', msg_type: 'interactive', content: card, updates: [] });

    const [tokenCall] = fake.callsTo('token');
    expect(tokenCall).toMatchObject({ path: '/open-apis/auth/v3/tenant_access_token/internal', body: { app_id: FAKE_APP.appId, app_secret: FAKE_APP.appSecret }, status: 200 });
    const token = tokenCall!.answer.tenant_access_token as string;
    expect(token).toMatch(/^t-/);
    expect(fake.callsTo('create')[0]!.headers.authorization).toBe(`Bearer ${token}`);

    const user = await client.contact.user.get({ path: { user_id: 'ou_wei' }, params: { user_id_type: 'open_id' } });
    expect(user.data?.user).toMatchObject({ open_id: 'ou_wei', name: '张伟', en_name: 'Wei Zhang', status: { is_resigned: false } });
    const info = (await client.request({ method: 'GET', url: '/open-apis/bot/v3/info' })) as { code: number; bot: { open_id: string; app_name: string } };
    expect(info).toMatchObject({ code: 0, bot: { open_id: FAKE_BOT.openId, app_name: FAKE_BOT.name } });
    // The token is cached: one fetch for all three calls.
    expect(fake.callsTo('token')).toHaveLength(1);
    expect(fake.callsTo('user')[0]!.headers.authorization).toBe(`Bearer ${token}`);

    // Patch the card, then reply in a thread to a user's message.
    const updated = { ...card, body: { elements: [{ tag: 'markdown', content: 'Done' }] } };
    expect((await client.im.message.patch({ path: { message_id: id }, data: { content: JSON.stringify(updated) } })).code).toBe(0);
    expect(fake.messages.get(id)!.updates).toEqual([updated]);
    const asked = messageEvent({ text: '/touch Acme', from: 'ou_wei', chatType: 'group', chatId: 'oc_sales' });
    const replied = await client.im.message.reply({
      path: { message_id: asked.event.message.message_id },
      data: { msg_type: 'text', content: JSON.stringify({ text: 'Logged.' }), reply_in_thread: true },
    });
    expect(replied.data).toMatchObject({ chat_id: 'oc_sales', parent_id: asked.event.message.message_id, root_id: asked.event.message.message_id });
    expect(replied.data!.thread_id).toMatch(/^omt_/);
  });

  it("surfaces Lark's refusals the way the SDK does: HTTP 4xx rejects with the AxiosError", async () => {
    fake.fail('create', { status: 429, reset: 3 });
    const err = (await client.im.message
      .create({ params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_sales', msg_type: 'text', content: JSON.stringify({ text: 'hi' }) } })
      .then(
        () => undefined,
        (e: unknown) => e,
      )) as AxiosLike | undefined;
    expect(err?.response?.status).toBe(429);
    expect(err?.response?.headers['x-ogw-ratelimit-reset']).toBe('3');
    expect(err?.response?.data).toEqual({ code: 99991400, msg: 'request trigger frequency limit' });
    // No retry by the SDK: one call, answered 429.
    expect(fake.callsTo('create').map((c) => c.status)).toEqual([429]);
    expect(logger.errors.length).toBeGreaterThan(0);

    // The next call goes through.
    const ok = await client.im.message.create({
      params: { receive_id_type: 'chat_id' },
      data: { receive_id: 'oc_sales', msg_type: 'text', content: JSON.stringify({ text: 'hi' }) },
    });
    expect(ok.code).toBe(0);

    // Content that is not a JSON string, an unknown user, a stranger's token.
    const bad = (await client.im.message
      .create({ params: { receive_id_type: 'chat_id' }, data: { receive_id: 'oc_sales', msg_type: 'text', content: '{not json' } })
      .catch((e: unknown) => e)) as AxiosLike;
    expect(bad.response).toMatchObject({ status: 400, data: { code: 230001 } });
    const nobody = (await client.contact.user.get({ path: { user_id: 'ou_ghost' } }).catch((e: unknown) => e)) as AxiosLike;
    expect(nobody.response).toMatchObject({ status: 400, data: { code: 41050 } });
    const stranger = await fetch(`${fake.url}/open-apis/bot/v3/info`, { headers: { authorization: 'Bearer t-forged' } });
    expect(stranger.status).toBe(400);
    expect(await stranger.json()).toMatchObject({ code: 99991663 });
  });
});

describe("the long connection, through the SDK's WSClient", () => {
  let fake: FakeLark;
  let ws: lark.WSClient | undefined;

  beforeEach(async () => {
    fake = new FakeLark();
    await fake.start();
  });
  afterEach(async () => {
    ws?.close({ force: true });
    ws = undefined;
    await fake.stop();
  });

  it('connects, receives events whole and in fragments, and comes back after a drop', async () => {
    const received: { text: string; chat_id: string; event_id: string }[] = [];
    const dispatcher = new lark.EventDispatcher({ loggerLevel: lark.LoggerLevel.error, logger: quietLogger() }).register({
      'im.message.receive_v1': async (data) => {
        received.push({ text: (JSON.parse(data.message.content) as { text: string }).text, chat_id: data.message.chat_id, event_id: data.event_id ?? '' });
      },
      'card.action.trigger': async (data: { action: { value: { verb: string } } }) => ({ toast: { type: 'success', content: `ok ${data.action.value.verb}` } }),
    });
    ws = new lark.WSClient({ ...FAKE_APP, domain: fake.url, loggerLevel: lark.LoggerLevel.error, logger: quietLogger() });
    void ws.start({ eventDispatcher: dispatcher });
    await fake.connected();
    expect(fake.callsTo('endpoint')[0]).toMatchObject({ body: { AppID: FAKE_APP.appId, AppSecret: FAKE_APP.appSecret }, status: 200 });
    // The client's ping, answered by the fake's pong.
    expect(fake.frames.filter((f) => f.dir === 'in' && f.frame.method === 0)[0]!.frame).toMatchObject({ service: 7, headers: [{ key: 'type', value: 'ping' }] });

    const first = messageEvent({ text: 'hello', from: 'ou_wei', chatType: 'p2p' });
    expect(await fake.pushEvent(first)).toEqual({ code: 200 });
    expect(received).toEqual([{ text: 'hello', chat_id: p2pChatId('ou_wei'), event_id: first.header.event_id }]);

    // Split into 3 frames (byte boundaries fall inside the Chinese characters).
    const long = `续约 ${'长'.repeat(400)}`;
    expect(await fake.pushEvent(messageEvent({ text: long, from: 'ou_wei', chatType: 'group', chatId: 'oc_sales' }), { fragments: 3 })).toEqual({ code: 200 });
    expect(received[1]).toMatchObject({ text: `@_user_1 ${long}`, chat_id: 'oc_sales' });
    const fragments = fake.frames.filter((f) => f.dir === 'out' && f.frame.method === 1).slice(-3);
    expect(fragments.map((f) => f.frame.headers.find((h) => h.key === 'seq')?.value)).toEqual(['0', '1', '2']);

    // What the handler returns rides back in the response frame.
    const click = cardActionEvent({ from: 'ou_wei', value: { verb: 'snooze' }, messageId: 'om_1', chatId: 'oc_sales' });
    expect(await fake.pushEvent(click)).toEqual({ code: 200, data: { toast: { type: 'success', content: 'ok snooze' } } });
    const response = fake.frames.filter((f) => f.dir === 'in' && f.frame.method === 1).at(-1)!.frame;
    expect(response.headers.map((h) => h.key)).toEqual(['type', 'message_id', 'sum', 'seq', 'trace_id', 'biz_rt']);

    fake.dropConnection();
    await fake.connected();
    expect(fake.callsTo('endpoint')).toHaveLength(2);
    expect(await fake.pushEvent(messageEvent({ text: 'after the drop', from: 'ou_wei', chatType: 'p2p' }))).toEqual({ code: 200 });
    expect(received.at(-1)!.text).toBe('after the drop');
    expect(fake.protocolErrors).toEqual([]);

    ws.close({ force: true });
    await fake.disconnected();
  });

  it('a wrong secret is refused at the endpoint, and the SDK gives up with onError', async () => {
    const errors: Error[] = [];
    // (LoggerLevel.fatal is 0, which the SDK's `loggerLevel || info` turns into info: hence the quiet logger.)
    ws = new lark.WSClient({ appId: FAKE_APP.appId, appSecret: 'wrong', domain: fake.url, logger: quietLogger(), onError: (e: Error) => void errors.push(e) });
    void ws.start({ eventDispatcher: new lark.EventDispatcher({ logger: quietLogger() }) });
    await fake.waitFor(() => errors[0]);
    expect(errors[0]!.message).toContain('code=514');
    expect(fake.callsTo('endpoint')).toHaveLength(1);
  });
});
