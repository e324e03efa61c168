-- The library's counters, split into shards: every create and status change bumps the
-- same few counters (total, status, category), and one row each made concurrent writes
-- queue behind each other's commits. A write bumps one shard; a read sums them.
CREATE TABLE project_count_shards (
    dimension TEXT NOT NULL,
    key       TEXT NOT NULL,
    shard     BIGINT NOT NULL,
    count     BIGINT NOT NULL,
    PRIMARY KEY (dimension, key, shard)
);
INSERT INTO project_count_shards (dimension, key, shard, count)
    SELECT dimension, key, 0, count FROM project_counts;
DROP TABLE project_counts;
