-- API keys as the dashboard manages them (issue 25): when each was last used (written at most
-- once a minute per key, when a process first checks it) and, for a key rolled with an overlap,
-- when it stops working (the new key works at once; the old one until then).
ALTER TABLE api_keys ADD COLUMN last_used_at BIGINT;
ALTER TABLE api_keys ADD COLUMN expires_at BIGINT;
