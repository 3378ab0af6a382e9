-- A user's language (docs/languages.md#choice): a projection of the journal, the `language` of the
-- user's last `user.language_set` event (NULL: none chosen; pages follow the browser).
ALTER TABLE users ADD COLUMN language TEXT;                       -- `es`, `en`; NULL: not chosen
