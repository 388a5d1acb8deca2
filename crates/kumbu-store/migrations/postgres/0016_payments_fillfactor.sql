-- Room on each page of payments for a row's next version (issue 24, item 0): an UPDATE that
-- changes no indexed column (a live payment leased for its operator calls) is then written on
-- the same page without new index entries (a HOT update), instead of into every index.
ALTER TABLE payments SET (fillfactor = 80);
