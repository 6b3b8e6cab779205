-- Columns changed on the source: dropped (in the middle, the last, under
-- FULL identity), added (also with a default, once rows change), renamed,
-- retyped; each followed by a change of the table, which is when pgoutput
-- describes the table anew.

create table reshaped (id int primary key, a text, b int, c text, d numeric);
insert into reshaped select i, 'a' || i, i, 'c' || i, i / 3.0 from generate_series(1, 20) i;
create table full_reshaped (x int, y text, z int);
alter table full_reshaped replica identity full;
insert into full_reshaped values (1, 'y', 1), (1, 'y', 1), (2, 'y', 2);

-- ==== the source streams from here ====

alter table reshaped drop column b;
update reshaped set a = a || '!' where id <= 5;
alter table reshaped drop column d;
insert into reshaped values (21, 'a21', 'c21');
alter table reshaped add column e int;
alter table reshaped add column f text default 'f';
update reshaped set e = id;  -- every row: the target has f from here on
alter table reshaped rename column c to c_renamed;
update reshaped set c_renamed = upper(c_renamed) where id % 2 = 0;
alter table reshaped alter column e type bigint, alter column a type varchar(40);
update reshaped set e = e * 10000000000 where id = 1;

alter table full_reshaped drop column y;
delete from full_reshaped where ctid = (select ctid from full_reshaped where x = 1 limit 1);
update full_reshaped set z = 20 where x = 2;
