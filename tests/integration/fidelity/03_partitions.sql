-- Partitioned tables: by range with a default partition, by list with a
-- partition itself partitioned by hash; rows moving between partitions (and
-- into and out of the default one), a partition added while streaming, and
-- TRUNCATE of a partitioned table. Published as the leaves by default, or
-- as the root through a publication WITH (publish_via_partition_root).

create table measurements (city int, logdate date, peak int, primary key (city, logdate))
  partition by range (logdate);
create table measurements_2025 partition of measurements for values from ('2025-01-01') to ('2026-01-01');
create table measurements_2026 partition of measurements for values from ('2026-01-01') to ('2027-01-01');
create table measurements_other partition of measurements default;
insert into measurements
  select city, date '2025-06-01' + (day * 7), city * 10 + day from generate_series(1, 3) city, generate_series(0, 60) day;

create table orders (id int, region text, amount numeric(12, 2), primary key (id, region)) partition by list (region);
create table orders_eu partition of orders for values in ('eu') partition by hash (id);
create table orders_eu_0 partition of orders_eu for values with (modulus 2, remainder 0);
create table orders_eu_1 partition of orders_eu for values with (modulus 2, remainder 1);
create table orders_us partition of orders for values in ('us');
create table orders_rest partition of orders default;
insert into orders select id, (array['eu', 'us', 'apac'])[id % 3 + 1], id * 1.25 from generate_series(1, 30) id;

create table emptied_parts (id int primary key, v text) partition by range (id);
create table emptied_parts_low partition of emptied_parts for values from (0) to (100);
create table emptied_parts_high partition of emptied_parts for values from (100) to (200);
insert into emptied_parts select id, 'loaded ' || id from generate_series(0, 199, 7) id;

-- ==== the source streams from here ====

insert into measurements values (1, '2026-06-01', 1), (1, '2030-01-01', 2);
-- 2025 -> 2026, 2026 -> the default partition, the default -> 2025.
update measurements set logdate = logdate + 365 where city = 2 and logdate < '2025-08-01';
update measurements set logdate = '2031-01-01' where city = 3 and logdate = '2026-07-27';
update measurements set logdate = '2025-12-31' where (city, logdate) = (1, '2030-01-01');
update measurements set peak = -peak where city = 3;
delete from measurements where logdate between '2025-09-01' and '2025-09-30';
create table measurements_2027 partition of measurements for values from ('2027-01-01') to ('2028-01-01');
insert into measurements values (4, '2027-02-02', 42);
update measurements set logdate = '2027-03-03' where (city, logdate) = (1, '2026-06-01');

-- Across list partitions and across the hash partitions below one.
update orders set region = 'eu' where region = 'us' and id < 15;
update orders set id = id + 1000 where region = 'eu' and id % 4 = 0;
update orders set region = 'mars', amount = 0 where id = 3;
delete from orders where region = 'apac' and id > 20;
insert into orders values (100, 'eu', 1), (101, 'eu', 2) on conflict (id, region) do update set amount = excluded.amount;

truncate emptied_parts;
insert into emptied_parts values (1, 'after the truncate'), (150, 'after the truncate');
begin;
insert into emptied_parts values (2, 'truncated in its own transaction');
truncate emptied_parts;
insert into emptied_parts values (3, 'survives');
commit;
