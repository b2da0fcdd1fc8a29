import type { Kysely } from 'kysely';
import type { TypeDefinition, TypeKind } from '../model.js';
import { toTypeDefinition } from './rows.js';
import type { Database } from './schema.js';

/**
 * Types a transaction created or changed. They become visible to the cache only once the
 * transaction commits, so a rolled-back type never lends its id to a later write.
 */
export interface PendingTypes {
  readonly types: TypeDefinition[];
}

/**
 * Type names ↔ ids, kept in memory because every artifact and execution row carries a type id.
 * Types are few and never deleted; a miss (another process declared a type) reloads them all.
 */
export class TypeCache {
  readonly #byKey = new Map<string, TypeDefinition>();
  readonly #byId = new Map<number, TypeDefinition>();

  remember(type: TypeDefinition): void {
    this.#byKey.set(key(type.kind, type.name), type);
    this.#byId.set(type.id, type);
  }

  commit(pending: PendingTypes): void {
    for (const type of pending.types) this.remember(type);
  }

  /**
   * Ids of the named types of one kind. With `create`, absent types are inserted and recorded in
   * `pending`; without, absent names are left out of the map.
   */
  async idsOf(
    db: Kysely<Database>,
    kind: TypeKind,
    names: Iterable<string>,
    create?: { pending: PendingTypes },
  ): Promise<Map<string, number>> {
    const wanted = [...new Set(names)];
    const found = new Map<string, number>();
    const lookUp = (): string[] => {
      const missing: string[] = [];
      for (const name of wanted) {
        const type = this.#byKey.get(key(kind, name)) ?? create?.pending.types.find((t) => t.kind === kind && t.name === name);
        if (type === undefined) missing.push(name);
        else found.set(name, type.id);
      }
      return missing;
    };
    let missing = lookUp();
    if (missing.length === 0) return found;
    await this.#reload(db, create?.pending);
    missing = lookUp();
    if (create === undefined) return found;
    for (const name of missing) {
      const inserted = await db
        .insertInto('types')
        .values({ kind, name, properties: '{}' })
        .onConflict((conflict) => conflict.columns(['kind', 'name']).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted !== undefined) {
        create.pending.types.push(toTypeDefinition(inserted));
        found.set(name, inserted.id);
        continue;
      }
      // Another writer declared it between our read and our insert, and has committed.
      const row = await db.selectFrom('types').selectAll().where('kind', '=', kind).where('name', '=', name).executeTakeFirstOrThrow();
      this.remember(toTypeDefinition(row));
      found.set(name, row.id);
    }
    return found;
  }

  /** A resolver from type id to name covering every id given. */
  async namesOf(db: Kysely<Database>, ids: Iterable<number>, pending?: PendingTypes): Promise<(id: number) => string> {
    const name = (id: number): string | undefined =>
      this.#byId.get(id)?.name ?? pending?.types.find((t) => t.id === id)?.name;
    let complete = true;
    for (const id of ids) {
      if (name(id) === undefined) {
        complete = false;
        break;
      }
    }
    if (!complete) await this.#reload(db, pending);
    return (id) => name(id) ?? String(id);
  }

  async #reload(db: Kysely<Database>, pending?: PendingTypes): Promise<void> {
    const rows = await db.selectFrom('types').selectAll().execute();
    const uncommitted = new Set(pending?.types.map((t) => t.id));
    for (const row of rows) if (!uncommitted.has(row.id)) this.remember(toTypeDefinition(row));
  }
}

function key(kind: TypeKind, name: string): string {
  return `${kind}\u0000${name}`;
}
