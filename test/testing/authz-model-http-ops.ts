// Level-2 v1 operations (create, update, read, read a version, read all, delete, .env) with the reply the
// model and the ledger predict, exactly: a deny is 401/403 and changes nothing; an allow is the v1 answer.
import type { ModelCapability } from './authz-model.ts';
import type { HttpModelCheck } from './authz-model-http-check.ts';
import { send as sendHttp, v1As, type HttpReply } from './authz-model-http.ts';
import { HTTP_NAMESPACES, HTTP_NAMES, type HttpOp } from './authz-model-plan.ts';

type SecretOp = Extract<
  HttpOp,
  { kind: 'create' | 'update' | 'read' | 'read-version' | 'read-all' | 'delete' }
>;
type EnvOp = Extract<HttpOp, { lines: unknown }>;

const NEEDS: Record<SecretOp['kind'], ModelCapability[]> = {
  create: ['create'],
  update: ['update'],
  read: ['read'],
  'read-version': ['read', 'history'],
  'read-all': ['read', 'history'],
  delete: ['delete'],
};

const WRITES = new Set(['create', 'update', 'delete']);

export async function runSecretOp(check: HttpModelCheck, op: SecretOp): Promise<void> {
  const { token, base } = check.pick(op);
  // v1 acts on NFC(namespace), NFC(name), as v2 does: the ledger keys are canonical.
  const namespace = (HTTP_NAMESPACES[op.ns] ?? 'app').normalize('NFC');
  const name = (HTTP_NAMES[op.name] ?? 'db').normalize('NFC');
  const decision = check.model.decideAll(
    token.secret,
    undefined,
    NEEDS[op.kind].map((capability) => [capability, namespace, name] as const),
    Date.now(),
  );
  const acting = decision.tenant ?? token.home;
  const value = check.ledger.newValue(acting);
  const what = `${op.kind} by ${token.label} on node ${op.node} ${JSON.stringify([namespace, name])}`;
  const reply = await send(op.kind);
  check.count(op.kind, decision.allow);
  check.observe(reply, acting, !decision.allow, what);
  if (!decision.allow) {
    check.expectDenied(reply, decision.status, what);
    if (WRITES.has(op.kind)) {
      await check.verifyUnchanged(acting, namespace, name, `denied ${what}`);
      check.totals.deniedWritesVerified += 1;
    }
    return;
  }
  const versions = check.ledger.versions(acting, namespace, name);
  const exists = versions.length > 0;
  const expect = (status: number, body?: string): void => {
    if (reply.status !== status || (body !== undefined && reply.body !== body))
      check.mismatch(
        `${what}: model allows; expected ${status}, got ${reply.status} ${reply.body.slice(0, 80)}`,
      );
  };
  switch (op.kind) {
    case 'create':
      expect(exists ? 409 : 201);
      if (reply.status === 201) check.ledger.record(acting, namespace, name, { value });
      return;
    case 'update':
      expect(exists ? 200 : 404);
      if (reply.status === 200) check.ledger.record(acting, namespace, name, { value });
      return;
    case 'delete':
      expect(exists ? 204 : 404);
      if (reply.status === 204) check.ledger.record(acting, namespace, name, 'delete');
      return;
    case 'read':
      return exists ? expect(200, versions.at(-1)) : expect(404);
    case 'read-version': {
      const wanted = versions[op.version - 1];
      return wanted === undefined ? expect(404) : expect(200, wanted);
    }
    case 'read-all':
      return exists
        ? expect(200, JSON.stringify(Object.fromEntries(versions.map((v, i) => [String(i + 1), v]))))
        : expect(404);
  }

  function send(kind: SecretOp['kind']): Promise<HttpReply> {
    switch (kind) {
      case 'create':
        return v1As.create(base, token.secret, namespace, name, value);
      case 'update':
        return v1As.update(base, token.secret, namespace, name, value);
      case 'delete':
        return v1As.remove(base, token.secret, namespace, name);
      case 'read':
        return v1As.read(base, token.secret, namespace, name);
      case 'read-version':
        return v1As.read(base, token.secret, namespace, name, op.version);
      case 'read-all':
        return v1As.readAll(base, token.secret, namespace, name);
    }
  }
}

const ENV_NEEDS: Record<EnvOp['lines'][number]['action'], ModelCapability[]> = {
  get: ['read'],
  'get-version': ['read', 'history'],
  new: ['create'],
  update: ['update'],
  delete: ['delete'],
};

/**
 * A .env file is all-or-nothing: every line authorised, else 403 and nothing written (DESIGN §10, I-G1).
 * v1 and v2 act on the NFC forms of names (and print NFC keys for the lines that write).
 */
export async function runEnvOp(check: HttpModelCheck, op: EnvOp): Promise<void> {
  const { token, base } = check.pick(op);
  const v2 = op.kind === 'v2-env';
  const canonical = (text: string): string => text.normalize('NFC');
  const rawNamespace = HTTP_NAMESPACES[op.ns] ?? 'app';
  const namespace = canonical(rawNamespace);
  // v2 lines naming one secret in two normal forms are a known open bug (test/authz-open-bugs.test.ts): one each.
  const lines = op.lines
    .map((line) => ({ ...line, key: HTTP_NAMES[line.name] ?? 'db' }))
    .map((line) => ({ ...line, name: canonical(line.key) }))
    .filter((line, i, all) => all.findIndex((other) => other.name === line.name) === i);
  const decision = check.model.decideAll(
    token.secret,
    undefined,
    lines.flatMap((line) => ENV_NEEDS[line.action].map((need) => [need, namespace, line.name] as const)),
    Date.now(),
  );
  const acting = decision.tenant ?? token.home;
  const values = lines.map(() => check.ledger.newValue(acting));
  const text = lines
    .map((line, i) => {
      switch (line.action) {
        case 'get':
          return `${line.key}=get`;
        case 'get-version':
          return `${line.key}=get:${line.version}`;
        case 'new':
          return `${line.key}=new:${values[i] ?? ''}`;
        case 'update':
          return `${line.key}=update:${values[i] ?? ''}`;
        case 'delete':
          return `${line.key}=delete`;
      }
    })
    .join('\n');
  const what = `${op.kind} by ${token.label} on node ${op.node} ns ${JSON.stringify(rawNamespace)}: ${JSON.stringify(text)}`;
  const reply = v2
    ? await v2Env(base, token.secret, rawNamespace, text)
    : await v1As.env(base, token.secret, namespace, text);
  check.count(op.kind, decision.allow);
  check.observe(reply, acting, !decision.allow, what);
  if (!decision.allow) {
    check.expectDenied(reply, decision.status, what);
    for (const line of lines)
      if (line.action !== 'get' && line.action !== 'get-version')
        await check.verifyUnchanged(acting, namespace, line.name, `denied ${what}`);
    check.totals.deniedWritesVerified += 1;
    return;
  }
  const failures = new Set<number>();
  const output: string[] = [];
  lines.forEach((line, i) => {
    const versions = check.ledger.versions(acting, namespace, line.name);
    const exists = versions.length > 0;
    if (line.action === 'get') {
      if (exists) output.push(`${line.key}=${versions.at(-1) ?? ''}`);
      else failures.add(404);
    } else if (line.action === 'get-version') {
      const wanted = versions[line.version - 1];
      if (wanted !== undefined) output.push(`${line.key}=${wanted}`);
      else failures.add(404);
    } else if (line.action === 'new') {
      if (exists) failures.add(409);
      else output.push(`${line.name}=${values[i] ?? ''}`);
    } else if (!exists) {
      failures.add(404);
    } else if (line.action === 'update') {
      output.push(`${line.name}=${values[i] ?? ''}`);
    }
  });
  if (failures.size > 0) {
    if (!failures.has(reply.status))
      check.mismatch(`${what}: expected one of ${[...failures].join('/')}, got ${reply.status}`);
    return;
  }
  const body =
    v2 && reply.status === 200 ? (JSON.parse(reply.body) as { content: string }).content : reply.body;
  if (reply.status !== 200 || body !== output.join('\n')) {
    check.mismatch(
      `${what}: expected 200 ${JSON.stringify(output)}, got ${reply.status} ${reply.body.slice(0, 120)}`,
    );
    return;
  }
  lines.forEach((line, i) => {
    if (line.action === 'new' || line.action === 'update')
      check.ledger.record(acting, namespace, line.name, { value: values[i] ?? '' });
    if (line.action === 'delete') check.ledger.record(acting, namespace, line.name, 'delete');
  });
}

const v2Env = (
  base: string,
  token: string | undefined,
  namespace: string,
  content: string,
): Promise<HttpReply> =>
  sendHttp(base, 'POST', `/v2/env:transform?namespace=${encodeURIComponent(namespace)}`, token, { content });
