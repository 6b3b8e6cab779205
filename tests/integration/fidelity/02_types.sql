-- Types that belong to the source database: domains over built-in types
-- (whose type event names the base type, in pg_catalog) and over user
-- types, enums, ranges and multiranges, composites, and arrays of them.

create type mood as enum ('sad', 'ok', 'happy');
create type floatrange as range (subtype = float8, subtype_diff = float8mi);
create type pair as (a int, b text);
create domain positive_int as int check (value > 0);
create domain short_text as varchar(8);
create domain money2 as numeric(10, 2);
create domain good_mood as mood check (value <> 'sad');
create domain small_positive as positive_int check (value < 1000);

create table domains (id positive_int primary key, label short_text, amount money2, feeling good_mood,
                      small small_positive);
insert into domains values (1, 'one', 1.5, 'ok', 1), (2, null, null, null, null);

create table enums (id int primary key, m mood, ms mood[]);
insert into enums values (1, 'sad', '{sad,happy}'), (2, null, '{}');

create table ranges (id int primary key, i int4range, n numrange, ts tstzrange, d daterange, f floatrange,
                     im int4multirange, ia int4range[]);
insert into ranges values
  (1, '[1,5)', '(1.5,2.5]', '[2026-01-01 00:00+00,2026-02-01 00:00+00)', '[2026-01-01,infinity)', '[1.5,2.5]',
   '{[1,3),[5,8)}', '{"[1,2)","[3,4)"}'),
  (2, 'empty', '(,)', null, null, 'empty', '{}', null);

create table composites (id int primary key, p pair, ps pair[]);
insert into composites values (1, '(1,"a b")', array['(2,c)'::pair, '(3,"d,e")'::pair]);

-- ==== the source streams from here ====

insert into domains values (3, 'three', 3.25, 'happy', 999);
update domains set amount = amount * 2, feeling = 'happy' where id = 1;
delete from domains where id = 2;

alter type mood add value 'elated' after 'happy';
insert into enums values (3, 'elated', '{elated,sad}');
update enums set m = 'ok', ms = array_append(ms, 'ok') where id = 1;

insert into ranges values (3, '[10,20)', '[0,1)', '[2026-03-01 12:00+00,)', '[2026-03-01,2026-03-02)', '(,0]',
                           '{[10,20)}', '{empty}');
update ranges set i = i * '[3,4)', im = im + '{[20,30)}' where id = 1;

insert into composites values (2, '(,)', '{}');
update composites set p = row((p).a + 1, 'changed')::pair where id = 1;
