-- The periodic resync enqueues every unfinished run and dataset version
-- (decision 106). Both queries name the unfinished states, so that they read
-- a partial index that holds only those rows instead of the whole history.
CREATE INDEX runs_unfinished ON runs (id) WHERE status IN ('pending', 'submitted', 'running');
