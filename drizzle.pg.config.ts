import { defineConfig } from 'drizzle-kit';

// PostgreSQL's migrations, from db/schema.pg.ts (the same tables as db/schema.ts); `npm run db:generate` makes both.
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema.pg.ts',
  out: './db/migrations-pg',
});
