-- Token expiry and disabled users (docs/access.md#expiry-and-disabling). Projections of the journal:
-- `api_tokens.expires_at` is `data.expires_at` of the token's `token.created` event;
-- `users.disabled_at` is the `recorded_at` of the user's last `user.disabled` event when no
-- `user.enabled` follows it; `users.enable_proposed_by` is the actor of a `user.enable_proposed`
-- event not yet followed by `user.enabled` or `user.disabled`.
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;                -- RFC 3339 UTC; NULL: never expires
ALTER TABLE users ADD COLUMN disabled_at TEXT;                    -- RFC 3339 UTC; NULL: enabled
ALTER TABLE users ADD COLUMN enable_proposed_by TEXT;             -- the admin who proposed enabling
