// Level-2 v2 operations (PUT create-or-update, GET, GET a version, GET versions, DELETE, list) with the reply
// the model and the ledger predict. v2 acts on NFC(namespace), NFC(name): the ledger keys are canonical.
import type { ModelCapability } from './authz-model.ts';
import type { HttpModelCheck } from './authz-model-http-check.ts';
import { send, type HttpReply } from './authz-model-http.ts';
import { HTTP_NAMESPACES, HTTP_NAMES, type HttpOp, type V2OpKind } from './authz-model-plan.ts';

type V2Op = Extract<HttpOp, { kind: V2OpKind }>;

const path = (namespace: string, name?: string, suffix = ''): string =>
  `/v2/secrets/${encodeURIComponent(namespace)}${name === undefined ? '' : `/${encodeURIComponent(name)}`}${suffix}`;

const json = (reply: HttpReply): Record<string, unknown> => {
  try {
    return JSON.parse(reply.body) as Record<string, unknown>;
  } catch {
    return {};
  }
};

export async function runV2Op(check: HttpModelCheck, op: V2Op): Promise<void> {
  const { token, base } = check.pick(op);
  const rawNamespace = HTTP_NAMESPACES[op.ns] ?? 'app';
  const rawName = HTTP_NAMES[op.name] ?? 'db';
  const namespace = rawNamespace.normalize('NFC');
  const name = rawName.normalize('NFC');
  const home = check.model.resolve(token.secret, undefined, Date.now());
  const actingGuess = home.kind === 'caller' ? home.tenant : token.home;
  const versions = check.ledger.versions(actingGuess, namespace, name);
  const exists = versions.length > 0;
  const needs: ModelCapability[] =
    op.kind === 'v2-put'
      ? [exists ? 'update' : 'create']
      : op.kind === 'v2-delete'
        ? ['delete']
        : op.kind === 'v2-versions'
          ? ['history']
          : op.kind === 'v2-read-version'
            ? ['read', 'history']
            : op.kind === 'v2-list'
              ? []
              : ['read'];
  const decision = check.model.decideAll(
    token.secret,
    undefined,
    needs.map((capability) => [capability, namespace, name] as const),
    Date.now(),
  );
  const acting = decision.tenant ?? token.home;
  const value = check.ledger.newValue(acting);
  const what = `${op.kind} by ${token.label} on node ${op.node} ${JSON.stringify([rawNamespace, rawName])}`;
  const reply = await (() => {
    switch (op.kind) {
      case 'v2-put':
        return send(base, 'PUT', path(rawNamespace, rawName), token.secret, { value });
      case 'v2-read':
        return send(base, 'GET', path(rawNamespace, rawName), token.secret);
      case 'v2-read-version':
        return send(base, 'GET', path(rawNamespace, rawName, `?version=${op.version}`), token.secret);
      case 'v2-versions':
        return send(base, 'GET', path(rawNamespace, rawName, '/versions'), token.secret);
      case 'v2-delete':
        return send(base, 'DELETE', path(rawNamespace, rawName), token.secret);
      case 'v2-list':
        return send(base, 'GET', path(rawNamespace, undefined, '?limit=1000'), token.secret);
    }
  })();
  check.count(op.kind, decision.allow);
  check.observe(reply, acting, !decision.allow, what);
  if (!decision.allow) {
    const code = json(reply).code;
    const wanted = decision.status === 401 ? 'DSV_AUTH_REQUIRED' : 'DSV_AUTH_FORBIDDEN';
    if (reply.status !== decision.status || code !== wanted)
      check.mismatch(`${what}: model denies (${decision.status}) but got ${reply.status} ${String(code)}`);
    if (op.kind === 'v2-put' || op.kind === 'v2-delete') {
      await check.verifyUnchanged(acting, namespace, name, `denied ${what}`);
      check.totals.deniedWritesVerified += 1;
    }
    return;
  }
  const body = json(reply);
  const expect = (ok: boolean, wanted: string): void => {
    if (!ok)
      check.mismatch(
        `${what}: model allows; expected ${wanted}, got ${reply.status} ${reply.body.slice(0, 100)}`,
      );
  };
  switch (op.kind) {
    case 'v2-put':
      expect(
        reply.status === (exists ? 200 : 201) && body.version === versions.length + 1,
        `${exists ? 200 : 201}`,
      );
      if (reply.status === 200 || reply.status === 201)
        check.ledger.record(acting, namespace, name, { value });
      return;
    case 'v2-delete':
      expect(reply.status === (exists ? 204 : 404), exists ? '204' : '404');
      if (reply.status === 204) check.ledger.record(acting, namespace, name, 'delete');
      return;
    case 'v2-read':
      return expect(
        exists ? reply.status === 200 && body.value === versions.at(-1) : reply.status === 404,
        'latest',
      );
    case 'v2-read-version': {
      const wanted = versions[op.version - 1];
      return expect(
        wanted === undefined ? reply.status === 404 : reply.status === 200 && body.value === wanted,
        `v${op.version}`,
      );
    }
    case 'v2-versions':
      return expect(
        exists
          ? reply.status === 200 && Array.isArray(body.versions) && body.versions.length === versions.length
          : reply.status === 404,
        `${versions.length} versions`,
      );
    case 'v2-list': {
      // Exactly the names of this namespace (as stored, any form) that the model lets the caller list.
      const token =
        decision.tenant === null
          ? undefined
          : check.model.resolve(check.pick(op).token.secret, undefined, Date.now());
      const listable = check.ledger
        .keys()
        .filter(
          ([tenant, ns, n]) => tenant === acting && ns === namespace && check.ledger.exists(tenant, ns, n),
        )
        .map(([, , n]) => n)
        .filter((n) => token?.kind === 'caller' && check.model.grants(token.token, 'list', namespace, n))
        .sort();
      const names = Array.isArray(body.names) ? (body.names as string[]).slice().sort() : undefined;
      return expect(
        reply.status === 200 && JSON.stringify(names) === JSON.stringify(listable),
        JSON.stringify(listable),
      );
    }
  }
}
