-- Tables without a primary key: under REPLICA IDENTITY FULL holding duplicate
-- rows (one of two equal rows deleted or updated, all of them updated), with
-- NULLs, floats and json in the rows that identify them; under REPLICA
-- IDENTITY USING INDEX; and an append-only table with the default identity.

create table readings (sensor int, value float8, tags json, note text);
alter table readings replica identity full;
insert into readings values (1, 0.1, '{"a": 1}', null), (1, 0.1, '{"a": 1}', null), (1, 0.1, '{"a": 1}', null),
                            (2, 1e-300, null, 'x'), (2, 1e-300, null, 'x');
create table by_index (code text not null, region int not null, v text);
create unique index by_index_code_region on by_index (code, region);
alter table by_index replica identity using index by_index_code_region;
insert into by_index values ('a', 1, 'one'), ('b', 2, 'two');
create table appended (at timestamptz, line text);
insert into appended values ('2026-01-01 00:00+00', 'loaded'), ('2026-01-01 00:00+00', 'loaded');

-- ==== the source streams from here ====

delete from readings where ctid = (select ctid from readings where sensor = 1 limit 1);
update readings set note = 'one of two' where ctid = (select ctid from readings where sensor = 2 limit 1);
update readings set value = 0.2 where sensor = 1;
insert into readings values (3, null, null, null), (3, null, null, null);
delete from readings where ctid = (select ctid from readings where sensor = 3 limit 1);

update by_index set v = 'changed' where code = 'a';
update by_index set region = 3 where code = 'b';
delete from by_index where code = 'a';
insert into by_index values ('c', 1, null);

insert into appended values ('2026-01-01 00:00+00', 'loaded'), ('2026-06-01 00:00+00', 'streamed');
