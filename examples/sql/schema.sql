-- The users table that the SQL backend's default query reads:
--
--   SELECT password, enabled FROM users WHERE name = :name AND domain = :domain
--
-- Create a database with:  sqlite3 users.db < schema.sql
--
-- Names and domains are stored in lower case. authd lower-cases (ASCII) the
-- name and domain of every request before it runs the query, so that is all
-- it takes for "Joe@Example.COM" to find joe@example.com; the CHECK
-- constraints refuse a mixed-case row, which could never be found.
-- (COLLATE BINARY: the check must see case, whatever collation a copy of
-- this table is given.)
--
-- UNIQUE (name, domain) makes the index the lookup uses, and keeps an
-- account from matching two rows: authd answers FAILURE rather than pick one.

CREATE TABLE users (
  name     TEXT    NOT NULL CHECK (name = lower(name) COLLATE BINARY AND name <> ''),
  domain   TEXT    NOT NULL CHECK (domain = lower(domain) COLLATE BINARY AND domain <> ''),
  -- "{SSHA}...", "{PBKDF2-SHA256}...", a crypt string "$6$...", "$2b$...";
  -- a bare value only with default_scheme set in authd.toml.
  password TEXT    NOT NULL,
  -- 1: may log in; 0: disabled (a right password is still refused).
  enabled  INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  UNIQUE (name, domain)
);
