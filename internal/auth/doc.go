// Package auth holds accounts and access control: agencies in a tree,
// users, roles, the permission model (Allowed), local login with argon2id
// passwords and TOTP, sessions with CSRF tokens, throttling of failed
// logins, and API keys with scopes. Its state lives behind the Storage
// interface; DB is the embedded SQLite implementation (its own file,
// separate from the entity store).
package auth
