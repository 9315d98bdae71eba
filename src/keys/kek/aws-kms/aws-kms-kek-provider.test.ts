// The aws-kms KEK adapter against a real moto server: the conformance suite, then what open() must refuse.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  CreateAliasCommand,
  DisableKeyCommand,
  ScheduleKeyDeletionCommand,
  type CreateKeyCommandInput,
} from '@aws-sdk/client-kms';
import { startMoto, type Moto } from '../../../../test/testing/moto.ts';
import {
  MOTO_CREDENTIALS,
  MOTO_REGION,
  createMotoKey,
  expectKekUnavailable,
  motoKmsClient,
} from '../../../../test/testing/moto-kms.ts';
import { runKekProviderConformance } from '../testing/conformance.ts';
import { AwsKmsKekProvider, type AwsKmsKekOptions } from './aws-kms-kek-provider.ts';

/** One moto for the whole file (the first run on a machine installs it: about 1.5 minutes). */
let moto: Moto | undefined;
before(async () => {
  moto = await startMoto();
});
after(async () => {
  await moto?.stop();
});
const endpoint = (): string => {
  assert.ok(moto, 'moto is started by the root before hook');
  return moto.endpoint;
};
const createKey = (input?: CreateKeyCommandInput): Promise<string> => createMotoKey(endpoint(), input);
const options = (keyId: string): AwsKmsKekOptions => ({
  keyId,
  region: MOTO_REGION,
  endpoint: endpoint(),
  credentials: MOTO_CREDENTIALS,
});

runKekProviderConformance('aws-kms (moto)', async () => {
  const keys = { primary: await createKey(), other: await createKey() };
  return {
    open: (material) => AwsKmsKekProvider.open(options(keys[material])),
    async cleanup() {
      const client = motoKmsClient(endpoint());
      for (const KeyId of Object.values(keys)) {
        await client.send(new ScheduleKeyDeletionCommand({ KeyId, PendingWindowInDays: 7 }));
      }
      client.destroy();
    },
  };
});

void describe('AwsKmsKekProvider open', () => {
  void it('resolves an alias to the key ARN and wraps under it', async () => {
    const keyId = await createKey();
    const client = motoKmsClient(endpoint());
    await client.send(new CreateAliasCommand({ AliasName: 'alias/dsv-test-node', TargetKeyId: keyId }));
    client.destroy();
    const byAlias = await AwsKmsKekProvider.open(options('alias/dsv-test-node'));
    const byId = await AwsKmsKekProvider.open(options(keyId));
    assert.equal(byAlias.keyArn, byId.keyArn);
    assert.match(byAlias.keyArn, new RegExp(`^arn:aws:kms:${MOTO_REGION}:\\d+:key/${keyId}$`));
    const dek = randomBytes(32);
    assert.deepEqual(Buffer.from(await byId.unwrap(await byAlias.wrap(dek))), dek);
    assert.equal(JSON.stringify(byAlias), JSON.stringify({ kind: 'aws-kms', keyArn: byAlias.keyArn }));
    await byAlias.close();
    await byId.close();
  });

  void it('a disabled key is DSV_KEK_UNAVAILABLE naming the cause', async () => {
    const keyId = await createKey();
    const client = motoKmsClient(endpoint());
    await client.send(new DisableKeyCommand({ KeyId: keyId }));
    client.destroy();
    await assert.rejects(AwsKmsKekProvider.open(options(keyId)), expectKekUnavailable(/the key is Disabled/));
  });

  void it('a key pending deletion is DSV_KEK_UNAVAILABLE', async () => {
    const keyId = await createKey();
    const client = motoKmsClient(endpoint());
    await client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    client.destroy();
    await assert.rejects(
      AwsKmsKekProvider.open(options(keyId)),
      expectKekUnavailable(/the key is PendingDeletion/),
    );
  });

  void it('an unknown key is DSV_KEK_UNAVAILABLE: not found', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    await assert.rejects(AwsKmsKekProvider.open(options(missing)), expectKekUnavailable(/key was not found/));
  });

  void it('a key policy that denies kms:DescribeKey is DSV_KEK_UNAVAILABLE: access denied', async () => {
    const Policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Principal: '*', Action: ['kms:DescribeKey'], Resource: '*' }],
    });
    const keyId = await createKey({ Policy });
    await assert.rejects(
      AwsKmsKekProvider.open(options(keyId)),
      expectKekUnavailable(/access denied \(the node needs kms:DescribeKey, kms:Encrypt and kms:Decrypt/),
    );
  });

  void it('an asymmetric or MAC key is refused', async () => {
    const rsa = await createKey({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' });
    await assert.rejects(
      AwsKmsKekProvider.open(options(rsa)),
      expectKekUnavailable(/RSA_2048 \/ ENCRYPT_DECRYPT, not a symmetric/),
    );
    const hmac = await createKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    await assert.rejects(AwsKmsKekProvider.open(options(hmac)), expectKekUnavailable(/not a symmetric/));
  });
});
