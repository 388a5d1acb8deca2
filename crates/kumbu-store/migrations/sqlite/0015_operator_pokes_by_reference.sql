-- A pass that commits what an operator said also takes the callbacks recorded meanwhile for the
-- same payments (issue 24, item 0): they are looked up by reference.
CREATE INDEX operator_pokes_reference ON operator_pokes (reference);
