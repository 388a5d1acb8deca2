-- Failed dashboard passwords per address and source (issue 25): a stranger guessing from one
-- place slows down only themselves, whatever address they try (known or not: the answer tells
-- no one who has an account), and the person, signing in from elsewhere, is never kept out.
-- Failed second-factor codes stay on the person (`people.failed_sign_ins`): only someone who
-- knows the password reaches them, and a password does not reset them.
CREATE TABLE sign_in_failures (
    account         TEXT NOT NULL,
    source          TEXT NOT NULL,
    failures        INTEGER NOT NULL CHECK (failures > 0),
    last_failed_at  BIGINT NOT NULL,
    PRIMARY KEY (account, source)
);
