-- The pull queue: an event stays pending for its merchant until acknowledged.
ALTER TABLE events ADD COLUMN acked_at BIGINT;
CREATE INDEX events_pending ON events (merchant_id, mode, seq) WHERE acked_at IS NULL;
CREATE INDEX events_object ON events (object_id, object_seq);
