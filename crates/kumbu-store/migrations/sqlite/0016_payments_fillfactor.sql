-- PostgreSQL leaves room on each page of payments for in-place updates (fillfactor); SQLite has
-- no such setting. Kept so that both backends have the same migrations.
SELECT 1;
