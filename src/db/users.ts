/** Accounts: create, find by username (ignoring case) or id, replace a password hash. */
import { type Database, isUniqueViolation, type Row } from "./database.ts";

export type Role = "user" | "admin";

export interface User {
  readonly id: string;
  readonly username: string;
  readonly passwordHash: string;
  readonly role: Role;
  readonly createdAt: Date;
}

/** The username is taken (by any capitalisation of it). */
export class UsernameTakenError extends Error {
  override name = "UsernameTakenError";
}

interface UserRow extends Row {
  id: string;
  username: string;
  password_hash: string;
  role: Role;
  created_at: Date;
}

const COLUMNS = "id, username, password_hash, role, created_at";

function toUser(row: UserRow): User {
  return Object.freeze({
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    role: row.role,
    createdAt: row.created_at instanceof Date ? row.created_at : new Date(row.created_at as unknown as string),
  });
}

export class UserRepository {
  constructor(private readonly db: Database) {}

  /** Creates an account; throws UsernameTakenError when the name exists in any case. */
  async create(username: string, passwordHash: string, role: Role = "user"): Promise<User> {
    try {
      const [row] = await this.db.query<UserRow>(
        `INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
        [username, passwordHash, role],
      );
      return toUser(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new UsernameTakenError(`username ${username} is taken`);
      throw error;
    }
  }

  async findByUsername(username: string): Promise<User | null> {
    const [row] = await this.db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE lower(username) = lower($1)`, [
      username,
    ]);
    return row === undefined ? null : toUser(row);
  }

  async findById(id: string): Promise<User | null> {
    // Not a UUID: no such user (and no query error from the cast).
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return null;
    const [row] = await this.db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
    return row === undefined ? null : toUser(row);
  }

  async count(): Promise<number> {
    const [row] = await this.db.query<{ n: number }>("SELECT count(*)::integer AS n FROM users");
    return Number(row.n);
  }

  async updatePasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.db.query("UPDATE users SET password_hash = $2 WHERE id = $1", [id, passwordHash]);
  }
}
