import { LoggerService } from '@backstage/backend-plugin-api';
import { BromDb } from '../store/BromStore';
import { SecretBox } from './secretBox';

export interface ResealOutcome {
  /** Rows this call sealed again with the current key. */
  resealed: number;
  /** Rows that were already sealed with the current key. */
  current: number;
}

/**
 * Moves every external producer's sealed upstream password to the current key of `secrets`
 * (docs/operations.md › External producers › Rotating the key). Runs at every startup:
 *
 * 1. Every stored password must open with the ring; otherwise nothing is written and it throws,
 *    naming the keys that are missing (a previous key removed before its values were
 *    re-sealed), so a startup never goes on with passwords it can no longer read.
 * 2. Each row not sealed with the current key is sealed again in a transaction of its own,
 *    written only if the row still holds what was read: a replica starting at the same time,
 *    or an owner entering a new password meanwhile, is never overwritten. Repeating it changes
 *    nothing.
 */
export async function resealExternalProducerSecrets(options: {
  db: BromDb;
  secrets: SecretBox;
  logger: LoggerService;
}): Promise<ResealOutcome> {
  const { db, secrets, logger } = options;
  const rows = await db
    .selectFrom('brom_external_producers')
    .select(['application_id', 'password_encrypted'])
    .execute();

  // Counted by the key that sealed them.
  const unreadable = new Map<string, number>();
  let failed = 0;
  for (const row of rows) {
    try {
      secrets.open(row.password_encrypted, row.application_id);
    } catch {
      const key =
        SecretBox.sealedWith(row.password_encrypted) ??
        'a key from before key ids';
      unreadable.set(key, (unreadable.get(key) ?? 0) + 1);
      failed++;
    }
  }
  if (failed > 0) {
    const which = [...unreadable]
      .map(([key, count]) => `${count} sealed with ${key}`)
      .join(', ');
    throw new Error(
      `BROM refuses to start: ${failed} external producers' upstream passwords do not open with ` +
        `brom.externalProducers.encryptionKey or previousEncryptionKeys (${which}). ` +
        'Put the key that sealed them back in brom.externalProducers.previousEncryptionKeys until they are re-sealed (docs/operations.md, Rotating the key)',
    );
  }

  let resealed = 0;
  for (const row of rows) {
    if (secrets.isCurrent(row.password_encrypted)) continue;
    const written = await db.transaction().execute(async tx => {
      const stored = await tx
        .selectFrom('brom_external_producers')
        .select('password_encrypted')
        .where('application_id', '=', row.application_id)
        .executeTakeFirst();
      if (!stored || secrets.isCurrent(stored.password_encrypted)) return false;
      const result = await tx
        .updateTable('brom_external_producers')
        .set({
          password_encrypted: secrets.reseal(
            stored.password_encrypted,
            row.application_id,
          ),
        })
        .where('application_id', '=', row.application_id)
        .where('password_encrypted', '=', stored.password_encrypted)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    });
    if (written) resealed++;
  }
  const outcome = {
    resealed,
    current: rows.filter(row => secrets.isCurrent(row.password_encrypted))
      .length,
  };
  if (rows.length > 0) {
    const remaining = await countNotCurrent(db, secrets);
    logger.info(
      `External producers' upstream passwords: ${resealed} re-sealed with key ${
        secrets.currentKeyId
      }; ${
        remaining === 0
          ? 'none sealed with another key remains'
          : `${remaining} written meanwhile with another key (the next start re-seals them)`
      }`,
    );
  }
  return outcome;
}

/** Rows whose password is not sealed with the current key. */
async function countNotCurrent(
  db: BromDb,
  secrets: SecretBox,
): Promise<number> {
  const rows = await db
    .selectFrom('brom_external_producers')
    .select('password_encrypted')
    .execute();
  return rows.filter(row => !secrets.isCurrent(row.password_encrypted)).length;
}
