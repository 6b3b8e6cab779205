-- Tables dropped and created again under the same name: same shape, other
-- columns, other types, without and then with a key, twice, and inside the
-- transaction that still changed the old table. Beside them, what keeps its
-- rel_id and must be followed as before: a table renamed away with a new one
-- under its name, and a table moved to another schema.

create table recreated_same (id int primary key, v text);
insert into recreated_same values (1, 'old'), (2, 'old and gone');
create table recreated_columns (v int primary key);
insert into recreated_columns values (1), (2);
create table recreated_types (id int primary key, a int);
insert into recreated_types values (1, 5);
create table recreated_keyless (a int, b text);
alter table recreated_keyless replica identity full;
insert into recreated_keyless values (1, 'x'), (1, 'x');
create table recreated_twice (id int primary key);
insert into recreated_twice values (1);
create table renamed_away (id int primary key, v text);
insert into renamed_away values (1, 'first');
create schema elsewhere;
create table moved (id int primary key, v text);
insert into moved values (1, 'before the move');

-- ==== the source streams from here ====

insert into recreated_same values (3, 'streamed before the drop');
drop table recreated_same;
create table recreated_same (id int primary key, v text);
insert into recreated_same values (1, 'new');
update recreated_same set v = 'new, updated' where id = 1;

insert into recreated_columns values (3);
drop table recreated_columns;
create table recreated_columns (a int primary key, b int);
insert into recreated_columns values (1, 2), (3, 4);
delete from recreated_columns where a = 3;

drop table recreated_types;
create table recreated_types (id text primary key, a text);
insert into recreated_types values ('x', 'not an integer');

delete from recreated_keyless where ctid = (select ctid from recreated_keyless limit 1);
drop table recreated_keyless;
create table recreated_keyless (a int primary key, b text);
insert into recreated_keyless values (1, 'x');
update recreated_keyless set b = 'y' where a = 1;

-- The old table's change and the new table's in one transaction.
begin;
insert into recreated_twice values (2);
drop table recreated_twice;
create table recreated_twice (id bigint primary key, note text);
insert into recreated_twice values (1, 'second');
commit;
drop table recreated_twice;
create table recreated_twice (id int primary key, note text, extra int);
insert into recreated_twice values (1, 'third', 3);

-- The new table changes first: the sink hears of the rename only later.
alter table renamed_away rename to renamed_away_old;
create table renamed_away (id int primary key, v text);
insert into renamed_away values (1, 'second');
insert into renamed_away_old values (2, 'first, again');

alter table moved set schema elsewhere;
insert into elsewhere.moved values (2, 'after the move');
